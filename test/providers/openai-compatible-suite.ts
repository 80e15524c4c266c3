/**
 * The cases every OpenAI-compatible provider must pass, run through the real service and the
 * real SDK client against the provider's flavour of the compatible fake. Each provider's test
 * file calls `describeCompatibleProvider` and adds the cases for its own quirks.
 */
import { beforeEach, describe, expect, test } from "bun:test";
import type { ScriptedResponse } from "../fakes/fake-upstream";
import { defaultAnswer, startCompatibleFake, type CompatibleFake, type Quirks } from "../fakes/openai-compatible/compatible-fake";
import { grammarViolations, readNdjson, streamedText } from "../support/ndjson";
import { cancelMidStream, expectStreamFailed, expectUpstreamError, serviceAgainstFake } from "../support/provider-scenarios";
import { singleTargetMapping, startService, type Harness } from "../support/service-harness";

export interface CompatibleProviderSpec {
  type: string;
  quirks: Quirks;
  /** The mapping's provider entry, pointed at the fake. */
  provider(fakeUrl: string): Record<string, unknown>;
  env?: Record<string, string>;
  deploymentName: string;
  /** Field that must carry `maxOutputTokens`. */
  maxTokensField: "max_tokens" | "max_completion_tokens";
  /** Whether `stream_options.include_usage` is sent on streams. */
  streamUsageOption: boolean;
  /** Tool support: `parallel` (several calls in one answer), or `none` (the legacy API). */
  tools: "parallel" | "none";
  /** The richest JSON output the provider takes. */
  json: "json_schema" | "json_object" | "none";
  /** The provider's error answer for a status. */
  error(status: number, message: string, code: string | null, headers?: Record<string, string>): ScriptedResponse;
  /** Usage is exact only where the provider reports it (false: estimated). */
  reportsUsage: boolean;
}

export interface ProviderContext {
  readonly fake: CompatibleFake;
  readonly svc: Harness;
  readonly model: string;
}

export const user = [{ role: "user", content: "What is the weather in Paris?" }];

export function describeCompatibleProvider(spec: CompatibleProviderSpec): ProviderContext {
  let fake: CompatibleFake;
  let svc: Harness;
  const model = "chat-model";
  const ctx: ProviderContext = {
    get fake() {
      return fake;
    },
    get svc() {
      return svc;
    },
    model,
  };

  serviceAgainstFake(async () => {
    fake = await startCompatibleFake(spec.quirks);
    svc = await startService({ mapping: singleTargetMapping(spec.provider(fake.url), spec.deploymentName, model), env: spec.env });
    return { svc, fake };
  });
  beforeEach(() => fake.answer(defaultAnswer));

  const post = (body: Record<string, unknown>, init?: RequestInit) => svc.post({ model, messages: user, ...body }, init);
  const expectedQuery = spec.quirks.query ? `?${new URLSearchParams(spec.quirks.query)}` : "";

  describe(`${spec.type}: streaming`, () => {
    test("text streams in the grammar; the fake saw the provider's path, query and auth", async () => {
      fake.answer(() => ({ text: ["Hello", "! How", " can I help"], usage: { prompt_tokens: 25, completion_tokens: 8 } }));
      const res = await post({ stream: true });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/x-ndjson");
      const lines = await readNdjson(res);
      expect(grammarViolations(lines)).toEqual([]);
      expect(lines.slice(0, 4)).toEqual([
        { type: "text_delta_start", content: "Hello" },
        { type: "text_delta", content: "! How" },
        { type: "text_delta", content: " can I help" },
        { type: "text_delta_end", content: "" },
      ]);
      expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "stop" });
      const sent = fake.requests[0]!;
      expect(sent.url).toBe(`${spec.quirks.path}${expectedQuery}`);
      expect(sent.body.model).toBe(spec.deploymentName);
      expect(sent.body.stream).toBe(true);
      if (spec.streamUsageOption) expect(sent.body.stream_options).toEqual({ include_usage: true });
      else expect(sent.body.stream_options).toBeUndefined();
      const [event] = await svc.sink.waitFor(1);
      expect(event).toMatchObject({
        model,
        provider: spec.type,
        providerId: "p",
        deploymentName: spec.deploymentName,
        status: "success",
        finishReason: "stop",
        stream: true,
      });
      if (spec.reportsUsage) {
        expect(lines.at(-2)).toMatchObject({ type: "usage", inputTokens: 25, outputTokens: 8 });
        expect(event).toMatchObject({ inputTokens: 25, outputTokens: 8, totalTokens: 33, usageSource: "provider" });
      } else {
        expect(event!.usageSource).toBe("estimated");
      }
    });

    test("a length cut passes through, with maxOutputTokens in the provider's field", async () => {
      fake.answer(() => ({ text: ["The holiday", " to"], finishReason: "length", usage: { prompt_tokens: 14, completion_tokens: 3 } }));
      const lines = await readNdjson(await post({ stream: true, maxOutputTokens: 3 }));
      expect(grammarViolations(lines)).toEqual([]);
      expect(streamedText(lines)).toBe("The holiday to");
      expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "length" });
      const sent = fake.requests[0]!.body;
      expect(sent[spec.maxTokensField]).toBe(3);
      const other = spec.maxTokensField === "max_tokens" ? "max_completion_tokens" : "max_tokens";
      expect(sent[other]).toBeUndefined();
    });

    test("a mid-stream error event becomes error, usage, finish:error", async () => {
      fake.answer(() => ({ text: ["Partial"], midStreamError: { message: "The server had an error while processing your request." } }));
      const lines = await readNdjson(await post({ stream: true }));
      const error = expectStreamFailed(lines);
      expect(lines[0]).toEqual({ type: "text_delta_start", content: "Partial" });
      expect(error.code).toBe("upstream_error");
      expect(error.message).toContain("The server had an error while processing your request.");
      expect(error.message).toContain(spec.type);
      const [event] = await svc.sink.waitFor(1);
      expect(event).toMatchObject({ status: "error", finishReason: "error", usageSource: "estimated" });
      expect(event!.outputTokens).toBeGreaterThan(0);
    });

    test("a connection reset mid-stream ends the stream in the grammar", async () => {
      fake.answer(() => ({ text: ["Half an ans", "wer"], resetAfterContent: true }));
      const lines = await readNdjson(await post({ stream: true }));
      expectStreamFailed(lines);
      expect(streamedText(lines)).toBe("Half an answer");
      const [event] = await svc.sink.waitFor(1);
      expect(event!.status).toBe("error");
    });

    test("a client that goes away aborts the upstream request at once", async () => {
      fake.answer(() => ({ text: Array.from({ length: 50 }, (_, i) => `piece ${i} `), chunkDelayMs: 100 }));
      const { upstreamClosed, event } = await cancelMidStream(svc, fake, { model, messages: user, stream: true });
      expect(upstreamClosed).toBe(true);
      expect(event).toMatchObject({ status: "cancelled", usageSource: "estimated" });
      expect(event.outputTokens).toBeGreaterThan(0);
    });
  });

  describe(`${spec.type}: JSON answers`, () => {
    test("text, usage, the requested model name and sampling parameters", async () => {
      fake.answer(() => ({ text: ["Hello! How can I help you?"], usage: { prompt_tokens: 25, completion_tokens: 8 } }));
      const res = await post({ temperature: 0.7, topP: 0.9, stop: "END" });
      expect(res.status).toBe(200);
      const body: any = await res.json();
      expect(body).toMatchObject({ outputText: "Hello! How can I help you?", output: [], model, finishReason: "stop" });
      if (spec.reportsUsage) expect(body.usage).toMatchObject({ inputTokens: 25, outputTokens: 8 });
      const sent = fake.requests[0]!;
      expect(sent.url).toBe(`${spec.quirks.path}${expectedQuery}`);
      expect(sent.body).toMatchObject({ temperature: 0.7, top_p: 0.9, stream: false });
      expect(sent.body.stop[0]).toBe("END");
      expect(sent.body.stream_options).toBeUndefined();
    });

    if (spec.json !== "none") {
      test(`${spec.json} output is requested in the provider's shape`, async () => {
        fake.answer(() => ({ text: ['{"ok":', "true}"], usage: { prompt_tokens: 5, completion_tokens: 5 } }));
        const responseFormat =
          spec.json === "json_schema"
            ? { type: "json_schema", name: "answer", schema: { type: "object" }, strict: true }
            : { type: "json_object" };
        const body: any = await (await post({ responseFormat })).json();
        expect(body.outputText).toBe('{"ok":true}');
        expect(fake.requests[0]!.body.response_format).toEqual(
          spec.json === "json_schema"
            ? { type: "json_schema", json_schema: { name: "answer", schema: { type: "object" }, strict: true } }
            : { type: "json_object" },
        );
      });
    }
  });

  if (spec.tools === "parallel") {
    describe(`${spec.type}: tool calls`, () => {
      test("parallel tool calls stream, each closed with its whole JSON", async () => {
        fake.answer(() => ({
          toolCalls: [
            { id: "call_a1", name: "get_weather", argumentPieces: ['{"city":', '"Paris"}'] },
            { id: "call_b2", name: "get_time", argumentPieces: ['{"tz":"Europe/Paris"}'] },
          ],
          usage: { prompt_tokens: 53, completion_tokens: 17 },
        }));
        const lines = await readNdjson(
          await post({
            stream: true,
            tools: [
              { name: "get_weather", parameters: { type: "object" } },
              { type: "function", function: { name: "get_time" } },
            ],
            toolChoice: "auto",
          }),
        );
        expect(grammarViolations(lines)).toEqual([]);
        expect(lines.filter((l) => l.type === "tool_call_start")).toEqual([
          { type: "tool_call_start", id: "call_a1", name: "get_weather" },
          { type: "tool_call_start", id: "call_b2", name: "get_time" },
        ]);
        expect(lines.filter((l) => l.type === "tool_call_end")).toEqual([
          { type: "tool_call_end", id: "call_a1", name: "get_weather", arguments: '{"city":"Paris"}' },
          { type: "tool_call_end", id: "call_b2", name: "get_time", arguments: '{"tz":"Europe/Paris"}' },
        ]);
        expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "tool_calls" });
        const sent = fake.requests[0]!.body;
        expect(sent.tools).toEqual([
          { type: "function", function: { name: "get_weather", parameters: { type: "object" } } },
          { type: "function", function: { name: "get_time" } },
        ]);
        expect(sent.tool_choice).toBe("auto");
        const [event] = await svc.sink.waitFor(1);
        expect(event).toMatchObject({ finishReason: "tool_calls", toolsCount: 2 });
      });

      test("a tool call in a JSON answer, with a named tool choice", async () => {
        fake.answer(() => ({
          toolCalls: [{ id: "call_1", name: "get_weather", argumentPieces: ['{"city":"Paris"}'] }],
          usage: { prompt_tokens: 5, completion_tokens: 5 },
        }));
        const body: any = await (await post({ tools: [{ name: "get_weather" }], toolChoice: { name: "get_weather" } })).json();
        expect(body.output).toEqual([{ type: "tool_call", id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }]);
        expect(body.finishReason).toBe("tool_calls");
        expect(fake.requests[0]!.body.tool_choice).toEqual({ type: "function", function: { name: "get_weather" } });
      });

      test("a replayed tool conversation is sent upstream in OpenAI's shape", async () => {
        fake.answer(() => ({ text: ["It is 18°C in Paris."], usage: { prompt_tokens: 40, completion_tokens: 8 } }));
        const res = await post({
          messages: [
            { role: "system", content: "Be terse." },
            { role: "user", content: "Weather in Paris and the time there?" },
            {
              role: "assistant",
              content: null,
              toolCalls: [
                { id: "call_9", name: "get_weather", arguments: '{"city":"Paris"}' },
                { id: "call_10", name: "get_time", arguments: '{"tz":"Europe/Paris"}' },
              ],
            },
            { role: "tool", toolCallId: "call_9", content: '{"celsius":18}' },
            { role: "tool", toolCallId: "call_10", content: '"14:02"' },
          ],
          tools: [{ name: "get_weather" }, { name: "get_time" }],
        });
        expect(res.status).toBe(200);
        expect(fake.requests[0]!.body.messages).toEqual([
          { role: "system", content: "Be terse." },
          { role: "user", content: "Weather in Paris and the time there?" },
          {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "call_9", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
              { id: "call_10", type: "function", function: { name: "get_time", arguments: '{"tz":"Europe/Paris"}' } },
            ],
          },
          { role: "tool", tool_call_id: "call_9", content: '{"celsius":18}' },
          { role: "tool", tool_call_id: "call_10", content: '"14:02"' },
        ]);
      });
    });
  }

  describe(`${spec.type}: upstream errors map to the contract`, () => {
    const cases: [string, () => ScriptedResponse, number, string][] = [
      [
        "context too long",
        () => spec.error(400, "This model's maximum context length is 8192 tokens.", "context_length_exceeded"),
        400,
        "upstream_invalid_request",
      ],
      ["bad key", () => spec.error(401, "Incorrect API key provided: sk-abc***.", "invalid_api_key"), 502, "upstream_error"],
      ["forbidden", () => spec.error(403, "Forbidden", null), 502, "upstream_error"],
      ["unknown deployment", () => spec.error(404, "The model does not exist", "model_not_found"), 502, "upstream_error"],
      ["rate limited", () => spec.error(429, "Rate limit reached", "rate_limit_exceeded", { "retry-after": "7" }), 429, "rate_limited"],
      ["server error", () => spec.error(500, "The server had an error", null), 502, "upstream_error"],
      ["overloaded", () => spec.error(503, "Overloaded", null), 502, "upstream_error"],
      ["gateway timeout", () => spec.error(504, "Timeout", null), 504, "upstream_timeout"],
    ];
    for (const [name, answer, status, code] of cases) {
      test(`${name} → ${status} ${code}`, async () => {
        fake.answer(answer);
        const { answers } = await expectUpstreamError(svc, { model, messages: user }, { status, code, requestId: "req-42" });
        for (const { res, body } of answers) {
          if (code === "rate_limited") expect(res.headers.get("retry-after")).toBe("7");
          if (name === "bad key") expect(body.message).not.toContain("sk-abc");
          if (code === "upstream_invalid_request") expect(body.message).toBe("This model's maximum context length is 8192 tokens.");
          if (name === "server error") expect(body.message).toBe(`${spec.type} failed (HTTP 500): The server had an error`);
        }
      });
    }
  });

  return ctx;
}
