/** The `openai` provider (fetch and our SSE parser), against the byte-faithful fake upstream. */
import { describe, expect, test } from "bun:test";
import { startOpenAIFake, openAIError } from "../fakes/openai/openai-fake";
import { grammarViolations, readNdjson, streamedText } from "../support/ndjson";
import {
  answersFromUnreachable,
  clientDisconnectTests,
  expectStreamFailed,
  expectUpstreamError,
  serviceAgainstFake,
  UNREACHABLE_URL,
} from "../support/provider-scenarios";
import { singleTargetMapping, startService, type Harness } from "../support/service-harness";

let fake: Awaited<ReturnType<typeof startOpenAIFake>>;
let svc: Harness;
const user = [{ role: "user", content: "What is the weather in Paris?" }];

serviceAgainstFake(async () => {
  fake = await startOpenAIFake({ apiKey: "sk-test" });
  svc = await startService({
    mapping: singleTargetMapping({ type: "openai", apiKey: "${OPENAI_KEY}", baseUrl: `${fake.url}/v1` }, "gpt-4o-2024-08-06", "gpt-4o"),
    env: { OPENAI_KEY: "sk-test" },
  });
  return { svc, fake };
});

describe("openai: streaming", () => {
  test("text streams in the grammar with the provider's usage", async () => {
    fake.answer(() => ({
      text: ["Hello", "! How", " can I help"],
      usage: { prompt_tokens: 25, completion_tokens: 8, cached: 5, reasoning: 2 },
    }));
    const res = await svc.post({ model: "gpt-4o", messages: user, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = await readNdjson(res);
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines).toEqual([
      { type: "text_delta_start", content: "Hello" },
      { type: "text_delta", content: "! How" },
      { type: "text_delta", content: " can I help" },
      { type: "text_delta_end", content: "" },
      { type: "usage", inputTokens: 25, outputTokens: 8, reasoningTokens: 2, cachedInputTokens: 5 },
      { type: "finish", finishReason: "stop" },
    ]);
    const sent = fake.requests[0]!;
    expect(sent.url).toBe("/v1/chat/completions");
    expect(sent.headers.authorization).toBe("Bearer sk-test");
    expect(sent.body.model).toBe("gpt-4o-2024-08-06");
    expect(sent.body.stream_options).toEqual({ include_usage: true });
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({
      model: "gpt-4o",
      provider: "openai",
      providerId: "p",
      deploymentName: "gpt-4o-2024-08-06",
      inputTokens: 25,
      outputTokens: 8,
      totalTokens: 33,
      reasoningTokens: 2,
      cachedInputTokens: 5,
      usageSource: "provider",
      status: "success",
      finishReason: "stop",
      stream: true,
    });
    expect(event!.timeToFirstTokenMs).toBeGreaterThanOrEqual(0);
  });

  test("parallel tool calls are joined by index, each closed with its whole JSON", async () => {
    fake.answer(() => ({
      toolCalls: [
        { id: "call_a", name: "get_weather", argumentPieces: ['{"city":', '"Paris"}'] },
        { id: "call_b", name: "get_time", argumentPieces: ['{"tz":"Europe/Paris"}'] },
      ],
      usage: { prompt_tokens: 53, completion_tokens: 17 },
    }));
    const res = await svc.post({
      model: "gpt-4o",
      messages: user,
      stream: true,
      tools: [
        { name: "get_weather", parameters: { type: "object" } },
        { type: "function", function: { name: "get_time" } },
      ],
      toolChoice: "auto",
    });
    const lines = await readNdjson(res);
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines.filter((l) => l.type === "tool_call_end")).toEqual([
      { type: "tool_call_end", id: "call_a", name: "get_weather", arguments: '{"city":"Paris"}' },
      { type: "tool_call_end", id: "call_b", name: "get_time", arguments: '{"tz":"Europe/Paris"}' },
    ]);
    expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "tool_calls" });
    expect(fake.requests[0]!.body.tools).toEqual([
      { type: "function", function: { name: "get_weather", parameters: { type: "object" } } },
      { type: "function", function: { name: "get_time" } },
    ]);
    expect(fake.requests[0]!.body.tool_choice).toBe("auto");
  });

  test("a mid-stream error event becomes error, usage, finish:error", async () => {
    fake.answer(() => ({ text: ["Partial"], midStreamError: { message: "The server had an error processing your request." } }));
    const lines = await readNdjson(await svc.post({ model: "gpt-4o", messages: user, stream: true }));
    const error = expectStreamFailed(lines);
    expect(lines[0]).toEqual({ type: "text_delta_start", content: "Partial" });
    expect(error).toMatchObject({ type: "error", code: "upstream_error" });
    expect(error.message).toContain("The server had an error processing your request.");
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({ status: "error", finishReason: "error", usageSource: "estimated" });
    expect(event!.outputTokens).toBeGreaterThan(0);
  });

  test("a connection reset mid-stream ends the stream in the grammar", async () => {
    fake.answer(() => ({ text: ["Half an ans", "wer"], resetAfterContent: true }));
    const lines = await readNdjson(await svc.post({ model: "gpt-4o", messages: user, stream: true }));
    expectStreamFailed(lines);
    expect(streamedText(lines)).toBe("Half an answer");
  });

  test("a malformed chunk is an upstream error in the stream", async () => {
    fake.answer(() => ({ text: ["ok", "more"], malformedChunk: "{not json" }));
    const lines = await readNdjson(await svc.post({ model: "gpt-4o", messages: user, stream: true }));
    const error = expectStreamFailed(lines);
    expect(error).toMatchObject({ code: "upstream_error" });
  });

  test("without include_usage support the usage is estimated locally", async () => {
    fake.answer(() => ({ text: ["Hello there, friend"], usage: undefined }));
    const lines = await readNdjson(await svc.post({ model: "gpt-4o", messages: user, stream: true }));
    const usage = lines.find((l) => l.type === "usage") as { inputTokens: number; outputTokens: number };
    expect(usage.outputTokens).toBe(4); // "Hello there, friend" in o200k
    expect(usage.inputTokens).toBeGreaterThan(5);
    const [event] = await svc.sink.waitFor(1);
    expect(event!.usageSource).toBe("estimated");
  });

  test("length and content_filter finish reasons pass through", async () => {
    for (const reason of ["length", "content_filter"] as const) {
      fake.answer(() => ({ text: ["cut"], finishReason: reason, usage: { prompt_tokens: 1, completion_tokens: 1 } }));
      const lines = await readNdjson(await svc.post({ model: "gpt-4o", messages: user, stream: true, maxOutputTokens: 1 }));
      expect(lines.at(-1)).toEqual({ type: "finish", finishReason: reason });
    }
    expect(fake.requests[0]!.body.max_completion_tokens).toBe(1);
    expect(fake.requests[0]!.body.max_tokens).toBeUndefined();
  });

  test("each chunk reaches the client as the upstream sends it, not when the stream ends", async () => {
    fake.answer(() => ({ text: ["one", " two", " three"], usage: { prompt_tokens: 3, completion_tokens: 3 }, chunkDelayMs: 150 }));
    const res = await svc.post({ model: "gpt-4o", messages: user, stream: true });
    let upstreamDone = false;
    void fake.requests.at(-1)!.ended.then(() => (upstreamDone = true));
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const seen: { text: string; upstreamDone: boolean }[] = [];
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      for (const m of text.matchAll(/"content":"([^"]+)"/g))
        if (!seen.some((s) => s.text === m[1])) seen.push({ text: m[1]!, upstreamDone });
    }
    expect(seen.map((s) => s.text)).toEqual(["one", " two", " three"]);
    // The first two were read while the upstream was still sending.
    expect(seen.slice(0, 2).map((s) => s.upstreamDone)).toEqual([false, false]);
  });

  clientDisconnectTests(() => ({ svc, fake }), "gpt-4o", user);
});

describe("openai: JSON answers", () => {
  test("text, usage and the requested model name", async () => {
    fake.answer(() => ({ text: ["Hello! How can I help you?"], usage: { prompt_tokens: 25, completion_tokens: 8 } }));
    const res = await svc.post({ model: "gpt-4o", messages: user, temperature: 0.7, topP: 0.9, stop: "END", seed: 7 });
    expect(res.status).toBe(200);
    const body: any = await res.json();
    expect(body).toMatchObject({
      outputText: "Hello! How can I help you?",
      output: [],
      usage: { inputTokens: 25, outputTokens: 8, cachedInputTokens: 0, reasoningTokens: 0 },
      model: "gpt-4o",
      finishReason: "stop",
    });
    expect(body.id).toStartWith("cmpl_");
    const sent = fake.requests[0]!.body;
    expect(sent).toMatchObject({ temperature: 0.7, top_p: 0.9, stop: ["END"], seed: 7, stream: false });
    expect(sent.stream_options).toBeUndefined();
  });

  test("tool calls come back in output", async () => {
    fake.answer(() => ({
      toolCalls: [{ id: "call_1", name: "get_weather", argumentPieces: ['{"city":"Paris"}'] }],
      usage: { prompt_tokens: 5, completion_tokens: 5 },
    }));
    const body: any = await (
      await svc.post({ model: "gpt-4o", messages: user, tools: [{ name: "get_weather" }], toolChoice: { name: "get_weather" } })
    ).json();
    expect(body.output).toEqual([{ type: "tool_call", id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }]);
    expect(body.finishReason).toBe("tool_calls");
    expect(body.outputText).toBe("");
    expect(fake.requests[0]!.body.tool_choice).toEqual({ type: "function", function: { name: "get_weather" } });
  });

  test("history, images, JSON schema output are sent in OpenAI's shape", async () => {
    fake.answer(() => ({ text: ['{"ok":true}'], usage: { prompt_tokens: 5, completion_tokens: 5 } }));
    const res = await svc.post({
      model: "gpt-4o",
      messages: [
        { role: "system", content: "Be terse." },
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image", url: "data:image/png;base64,iVBORw0KGgo=" },
          ],
        },
        { role: "assistant", content: null, toolCalls: [{ id: "call_9", name: "lookup", arguments: '{"q":"x"}' }] },
        { role: "tool", toolCallId: "call_9", content: "42" },
      ],
      responseFormat: { type: "json_schema", name: "answer", schema: { type: "object" }, strict: true },
    });
    expect(res.status).toBe(200);
    const sent = fake.requests[0]!.body;
    expect(sent.messages).toEqual([
      { role: "system", content: "Be terse." },
      {
        role: "user",
        content: [
          { type: "text", text: "What is this?" },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
        ],
      },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_9", type: "function", function: { name: "lookup", arguments: '{"q":"x"}' } }],
      },
      { role: "tool", tool_call_id: "call_9", content: "42" },
    ]);
    expect(sent.response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "answer", schema: { type: "object" }, strict: true },
    });
  });

  test("reasoning effort is sent and sampling parameters dropped for reasoning models", async () => {
    fake.answer(() => ({ text: ["4"], usage: { prompt_tokens: 5, completion_tokens: 70, reasoning: 64 } }));
    const body: any = await (
      await svc.post({ model: "gpt-4o", messages: user, reasoningEffort: "high", temperature: 0.2, topP: 0.5 })
    ).json();
    const sent = fake.requests[0]!.body;
    expect(sent.reasoning_effort).toBe("high");
    expect(sent.temperature).toBeUndefined();
    expect(sent.top_p).toBeUndefined();
    expect(body.usage).toMatchObject({ outputTokens: 70, reasoningTokens: 64 });
  });
});

describe("openai: upstream errors map to the contract", () => {
  // The last column: upstream requests per client request — retryable failures are retried
  // maxRetries (2) times; a Retry-After longer than the test harness waits (1 s) is not waited out.
  const cases: [string, () => ReturnType<typeof openAIError>, number, string, number][] = [
    [
      "context too long",
      () => openAIError(400, "This model's maximum context length is 128000 tokens.", "invalid_request_error", "context_length_exceeded"),
      400,
      "upstream_invalid_request",
      1,
    ],
    [
      "bad key",
      () => openAIError(401, "Incorrect API key provided: sk-abc***.", "invalid_request_error", "invalid_api_key"),
      502,
      "upstream_error",
      1,
    ],
    [
      "forbidden",
      () => openAIError(403, "Country not supported", "invalid_request_error", "unsupported_country_region_territory"),
      502,
      "upstream_error",
      1,
    ],
    [
      "unknown deployment",
      () => openAIError(404, "The model `x` does not exist", "invalid_request_error", "model_not_found"),
      502,
      "upstream_error",
      1,
    ],
    [
      "rate limited",
      () => openAIError(429, "Rate limit reached", "requests", "rate_limit_exceeded", { "retry-after": "7" }),
      429,
      "rate_limited",
      1,
    ],
    ["server error", () => openAIError(500, "The server had an error", "server_error"), 502, "upstream_error", 3],
    ["overloaded", () => openAIError(503, "Overloaded", "server_error"), 502, "upstream_error", 3],
    ["gateway timeout", () => openAIError(504, "Timeout", "server_error"), 504, "upstream_timeout", 3],
  ];
  for (const [name, answer, status, code, upstreamRequests] of cases) {
    test(`${name} → ${status} ${code}`, async () => {
      fake.answer(answer);
      const { answers, events } = await expectUpstreamError(
        svc,
        { model: "gpt-4o", messages: user },
        { status, code, requestId: "req-42" },
      );
      for (const { res, body } of answers) {
        if (code === "rate_limited") expect(res.headers.get("retry-after")).toBe("7");
        if (status === 502 && name === "bad key") expect(body.message).not.toContain("sk-abc");
        if (code === "upstream_invalid_request") expect(body.message).toContain("maximum context length");
      }
      expect(fake.requests.length).toBe(2 * upstreamRequests);
      expect(events.every((e) => e.attempts.length === upstreamRequests)).toBe(true);
    });
  }

  test("an unreachable upstream is a 502 naming the provider", async () => {
    const answers = await answersFromUnreachable(
      { type: "openai", apiKey: "k", baseUrl: `${UNREACHABLE_URL}/v1` },
      { model: "m", messages: user },
    );
    for (const { res, body } of answers) {
      expect(res.status).toBe(502);
      expect(body.message).toContain("could not reach openai");
    }
  });
});
