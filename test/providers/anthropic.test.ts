/** The `anthropic` provider through the real SDK client, against the byte-faithful fake upstream. */
import { describe, expect, test } from "bun:test";
import { anthropicError, startAnthropicFake, type AnthropicFake } from "../fakes/anthropic/anthropic-fake";
import { answeringTextPieces } from "../fakes/anthropic/text-pieces";
import { grammarViolations, readNdjson, streamedText } from "../support/ndjson";
import {
  answersFromUnreachable,
  cancelMidStream,
  clientDisconnectTests,
  closedWithin,
  expectStreamFailed,
  expectUpstreamError,
  serviceAgainstFake,
  UNREACHABLE_URL,
  withService,
} from "../support/provider-scenarios";
import { singleTargetMapping, startService, type Harness } from "../support/service-harness";

let fake: AnthropicFake;
let svc: Harness;
const MODEL = "claude";
const DEPLOYMENT = "claude-sonnet-4-5-20250929";
const user = [{ role: "user", content: "What is the weather in Paris?" }];
const weatherTools = [
  { name: "get_weather", description: "Weather for a city", parameters: { type: "object", properties: { city: { type: "string" } } } },
  { type: "function", function: { name: "get_time" } },
];

serviceAgainstFake(async () => {
  fake = await startAnthropicFake({ apiKey: "sk-ant-test" });
  svc = await startService({
    mapping: singleTargetMapping({ type: "anthropic", apiKey: "${ANTHROPIC_KEY}", baseUrl: fake.url }, DEPLOYMENT, MODEL),
    env: { ANTHROPIC_KEY: "sk-ant-test" },
  });
  return { svc, fake };
});

describe("anthropic: streaming", () => {
  test("text streams in the grammar; pings ignored; usage sums the cache counts", async () => {
    fake.answer(() => ({
      blocks: [{ type: "text", pieces: ["Hello", "! How", " can I help"] }],
      usage: { input: 20, cacheCreation: 3, cacheRead: 5, output: 8 },
    }));
    const res = await svc.post({ model: MODEL, messages: user, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = await readNdjson(res);
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines).toEqual([
      { type: "text_delta_start", content: "Hello" },
      { type: "text_delta", content: "! How" },
      { type: "text_delta", content: " can I help" },
      { type: "text_delta_end", content: "" },
      { type: "usage", inputTokens: 28, outputTokens: 8, cachedInputTokens: 5 },
      { type: "finish", finishReason: "stop" },
    ]);
    const sent = fake.requests[0]!;
    expect(sent.url).toBe("/v1/messages");
    expect(sent.headers["x-api-key"]).toBe("sk-ant-test");
    expect(sent.headers["anthropic-version"]).toBe("2023-06-01");
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({
      model: DEPLOYMENT,
      max_tokens: 4096,
      messages: [{ role: "user", content: [{ type: "text", text: "What is the weather in Paris?" }] }],
      stream: true,
    });
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({
      model: MODEL,
      provider: "anthropic",
      providerId: "p",
      deploymentName: DEPLOYMENT,
      inputTokens: 28,
      outputTokens: 8,
      totalTokens: 36,
      cachedInputTokens: 5,
      usageSource: "provider",
      status: "success",
      finishReason: "stop",
      stream: true,
    });
  });

  test("input restated in message_delta wins over message_start's", async () => {
    fake.answer(() => ({ blocks: [{ type: "text", pieces: ["ok"] }], usage: { input: 43, deltaInput: 61, output: 2 } }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true }));
    expect(lines.find((l) => l.type === "usage")).toEqual({ type: "usage", inputTokens: 61, outputTokens: 2, cachedInputTokens: 0 });
  });

  test("parallel tool calls after text: renumbered, empty first piece ignored, each closed with its JSON", async () => {
    fake.answer(() => ({
      blocks: [
        { type: "text", pieces: ["I'll check."] },
        { type: "tool_use", id: "toolu_01A", name: "get_weather", argumentPieces: ['{"city": "Par', 'is"}'] },
        { type: "tool_use", id: "toolu_01B", name: "get_time", argumentPieces: [] },
      ],
      usage: { input: 565, output: 47 },
    }));
    const res = await svc.post({ model: MODEL, messages: user, stream: true, tools: weatherTools, toolChoice: "auto" });
    const lines = await readNdjson(res);
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines).toEqual([
      { type: "text_delta_start", content: "I'll check." },
      { type: "text_delta_end", content: "" },
      { type: "tool_call_start", id: "toolu_01A", name: "get_weather" },
      { type: "tool_call_delta", id: "toolu_01A", arguments: '{"city": "Par' },
      { type: "tool_call_delta", id: "toolu_01A", arguments: 'is"}' },
      { type: "tool_call_end", id: "toolu_01A", name: "get_weather", arguments: '{"city": "Paris"}' },
      { type: "tool_call_start", id: "toolu_01B", name: "get_time" },
      { type: "tool_call_end", id: "toolu_01B", name: "get_time", arguments: "{}" },
      { type: "usage", inputTokens: 565, outputTokens: 47, cachedInputTokens: 0 },
      { type: "finish", finishReason: "tool_calls" },
    ]);
    const sent = fake.requests[0]!.body;
    expect(sent.tools).toEqual([
      {
        name: "get_weather",
        description: "Weather for a city",
        input_schema: { type: "object", properties: { city: { type: "string" } } },
      },
      { name: "get_time", input_schema: { type: "object", properties: {} } },
    ]);
    expect(sent.tool_choice).toEqual({ type: "auto" });
  });

  test("a replayed tool conversation is sent in Anthropic's shape", async () => {
    fake.answer(() => ({ blocks: [{ type: "text", pieces: ["18°C and 14:05."] }] }));
    const res = await svc.post({
      model: MODEL,
      stream: true,
      messages: [
        { role: "system", content: "Be terse." },
        { role: "developer", content: "Use metric units." },
        {
          role: "user",
          content: [
            { type: "text", text: "Weather and time in Paris?" },
            { type: "image", url: "data:image/png;base64,iVBORw0KGgo=" },
          ],
        },
        { role: "user", content: [{ type: "image", url: "https://example.com/paris.jpg" }] },
        {
          role: "assistant",
          content: "Checking.",
          toolCalls: [
            { id: "toolu_1", name: "get_weather", arguments: '{"city":"Paris"}' },
            { id: "toolu_2", name: "get_time", arguments: "" },
          ],
        },
        { role: "tool", toolCallId: "toolu_1", content: "18C" },
        { role: "tool", toolCallId: "toolu_2", content: "14:05" },
        { role: "user", content: "Thanks, summarise." },
      ],
      tools: weatherTools,
      toolChoice: "required",
      temperature: 0.3,
      topP: 0.9,
      topK: 40,
      stop: ["END", "STOP"],
      maxOutputTokens: 300,
    });
    const lines = await readNdjson(res);
    expect(grammarViolations(lines)).toEqual([]);
    expect(streamedText(lines)).toBe("18°C and 14:05.");
    const sent = fake.requests[0]!.body;
    expect(sent).toMatchObject({
      model: DEPLOYMENT,
      max_tokens: 300,
      system: "Be terse.\n\nUse metric units.",
      temperature: 0.3,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ["END", "STOP"],
      tool_choice: { type: "any" },
      stream: true,
    });
    expect(sent.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "Weather and time in Paris?" },
          { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
          { type: "image", source: { type: "url", url: "https://example.com/paris.jpg" } },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Checking." },
          { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
          { type: "tool_use", id: "toolu_2", name: "get_time", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_1", content: "18C" },
          { type: "tool_result", tool_use_id: "toolu_2", content: "14:05" },
          { type: "text", text: "Thanks, summarise." },
        ],
      },
    ]);
  });

  test("a length cut finishes with length", async () => {
    fake.answer(() => ({ blocks: [{ type: "text", pieces: ["It is"] }], stopReason: "max_tokens", usage: { input: 10, output: 2 } }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true, maxOutputTokens: 2 }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "length" });
    expect(fake.requests[0]!.body.max_tokens).toBe(2);
  });

  test("stop reasons map: stop_sequence, pause_turn, refusal, model_context_window_exceeded", async () => {
    const cases: [string, string][] = [
      ["stop_sequence", "stop"],
      ["pause_turn", "stop"],
      ["refusal", "content_filter"],
      ["model_context_window_exceeded", "length"],
    ];
    for (const [stopReason, finishReason] of cases) {
      fake.answer(() => ({ blocks: [{ type: "text", pieces: ["x"] }], stopReason }));
      const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true }));
      expect(lines.at(-1)).toEqual({ type: "finish", finishReason } as never);
    }
  });

  test("JSON schema output: the forced tool's input streams as text, finish stop", async () => {
    fake.answer(() => ({
      blocks: [{ type: "tool_use", id: "toolu_json", name: "json_response", argumentPieces: ['{"temp', 'erature": 18}'] }],
      stopReason: "tool_use",
      usage: { input: 30, output: 9 },
    }));
    const schema = { type: "object", properties: { temperature: { type: "number" } }, required: ["temperature"] };
    const lines = await readNdjson(
      await svc.post({ model: MODEL, messages: user, stream: true, responseFormat: { type: "json_schema", name: "weather", schema } }),
    );
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines).toEqual([
      { type: "text_delta_start", content: '{"temp' },
      { type: "text_delta", content: 'erature": 18}' },
      { type: "text_delta_end", content: "" },
      { type: "usage", inputTokens: 30, outputTokens: 9, cachedInputTokens: 0 },
      { type: "finish", finishReason: "stop" },
    ]);
    const sent = fake.requests[0]!.body;
    expect(sent.tools).toEqual([{ name: "json_response", description: expect.stringContaining('"weather"'), input_schema: schema }]);
    expect(sent.tool_choice).toEqual({ type: "tool", name: "json_response" });
  });

  test("JSON output with the client's tools: a real tool call is still a tool call", async () => {
    fake.answer(() => ({ blocks: [{ type: "tool_use", id: "toolu_w", name: "get_weather", argumentPieces: ['{"city":"Paris"}'] }] }));
    const lines = await readNdjson(
      await svc.post({ model: MODEL, messages: user, stream: true, tools: weatherTools, responseFormat: { type: "json_object" } }),
    );
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines.find((l) => l.type === "tool_call_end")).toEqual({
      type: "tool_call_end",
      id: "toolu_w",
      name: "get_weather",
      arguments: '{"city":"Paris"}',
    });
    expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "tool_calls" });
    const sent = fake.requests[0]!.body;
    expect(sent.tools.map((t: { name: string }) => t.name)).toEqual(["get_weather", "get_time", "json_response"]);
    expect(sent.tool_choice).toEqual({ type: "any" });
  });

  test("reasoning effort: thinking enabled, thinking text is reasoning not text, temperature dropped", async () => {
    fake.answer(() => ({
      blocks: [
        { type: "thinking", pieces: ["Let me work", " this out."] },
        { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix/LafPsn4a" },
        { type: "text", pieces: ["4"] },
      ],
      usage: { input: 20, output: 120, thinking: 110 },
    }));
    const lines = await readNdjson(
      await svc.post({ model: MODEL, messages: user, stream: true, reasoningEffort: "medium", temperature: 0.2, topK: 5 }),
    );
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines).toEqual([
      { type: "text_delta_start", content: "4" },
      { type: "text_delta_end", content: "" },
      { type: "usage", inputTokens: 20, outputTokens: 120, reasoningTokens: 110, cachedInputTokens: 0 },
      { type: "finish", finishReason: "stop" },
    ]);
    const sent = fake.requests[0]!.body;
    expect(sent.thinking).toEqual({ type: "enabled", budget_tokens: 4096 });
    expect(sent.max_tokens).toBe(4096 + 4096);
    expect(sent.temperature).toBeUndefined();
    expect(sent.top_k).toBeUndefined();
  });

  test("a temperature above Anthropic's maximum is clamped to 1", async () => {
    fake.answer(() => ({ blocks: [{ type: "text", pieces: ["hot"] }] }));
    const res = await svc.post({ model: MODEL, messages: user, stream: true, temperature: 1.7 });
    expect(grammarViolations(await readNdjson(res))).toEqual([]);
    expect(fake.requests[0]!.body.temperature).toBe(1);
  });

  test("an unknown event type mid-stream is ignored", async () => {
    fake.answer(() => ({
      blocks: [
        { type: "text", pieces: ["a"] },
        { type: "text", pieces: ["b"] },
      ],
      unknownEvent: true,
    }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(streamedText(lines)).toBe("ab");
  });

  test("a mid-stream error event becomes error, usage, finish:error", async () => {
    fake.answer(() => ({
      blocks: [{ type: "text", pieces: ["Partial"] }],
      midStreamError: { type: "overloaded_error", message: "Overloaded" },
    }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true }));
    const error = expectStreamFailed(lines);
    expect(lines[0]).toEqual({ type: "text_delta_start", content: "Partial" });
    expect(error.code).toBe("upstream_error");
    expect(error.message).toContain("Overloaded");
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({ status: "error", finishReason: "error", usageSource: "estimated" });
    expect(event!.inputTokens).toBe(12); // message_start's count survives the failure
    expect(event!.outputTokens).toBeGreaterThan(0);
  });

  test("an error event before any content is a clean HTTP error (overloaded → 502)", async () => {
    fake.answer(() => ({ blocks: [], midStreamError: { type: "overloaded_error", message: "Overloaded" } }));
    const res = await svc.post({ model: MODEL, messages: user, stream: true });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { code: string; message: string }).message).toContain("Overloaded");
  });

  test("a connection reset mid-stream ends the stream in the grammar", async () => {
    fake.answer(() => ({ blocks: [{ type: "text", pieces: ["Half an ans", "wer"] }], resetAfterContent: true }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true }));
    expectStreamFailed(lines);
    expect(streamedText(lines)).toBe("Half an answer");
  });

  test("a tool call cut by a reset is never closed", async () => {
    fake.answer(() => ({
      blocks: [{ type: "tool_use", id: "toolu_x", name: "get_weather", argumentPieces: ['{"ci'] }],
      resetAfterContent: true,
    }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true, tools: weatherTools }));
    expectStreamFailed(lines);
    expect(lines.some((l) => l.type === "tool_call_end")).toBe(false);
  });

  test("the provider's total timeout ends a stalled stream with upstream_timeout", async () => {
    await withService(
      { mapping: singleTargetMapping({ type: "anthropic", apiKey: "sk-ant-test", baseUrl: fake.url, timeoutMs: 300 }, DEPLOYMENT, MODEL) },
      async (slow) => {
        fake.answer(() => ({ blocks: [{ type: "text", pieces: ["Stalled"] }], hangAfterContent: true }));
        const lines = await readNdjson(await slow.post({ model: MODEL, messages: user, stream: true }));
        const error = expectStreamFailed(lines);
        expect(error).toMatchObject({ code: "upstream_timeout" });
        expect(await closedWithin(fake.requests[0]!)).toBe(true);
      },
    );
  });

  test("client disconnect aborts the upstream request at once, even while it sends nothing", async () => {
    fake.answer(() => ({ blocks: [{ type: "text", pieces: ["First", " and only"] }], hangAfterContent: true }));
    const { upstreamClosed, event } = await cancelMidStream(svc, fake, { model: MODEL, messages: user, stream: true }, 1000);
    expect(upstreamClosed).toBe(true);
    expect(event).toMatchObject({ status: "cancelled" });
    expect(event.outputTokens).toBeGreaterThan(0);
  });

  clientDisconnectTests(() => ({ svc, fake: answeringTextPieces(fake) }), MODEL, user);
});

describe("anthropic: JSON answers", () => {
  test("text, usage and the requested model name", async () => {
    fake.answer(() => ({
      blocks: [{ type: "text", pieces: ["Hello! How can I help you?"] }],
      usage: { input: 25, output: 8, cacheRead: 10 },
    }));
    const res = await svc.post({
      model: MODEL,
      messages: [{ role: "system", content: "Be kind." }, ...user],
      temperature: 0.7,
      stop: "END",
      seed: 7,
    });
    expect(res.status).toBe(200);
    const body: any = await res.json();
    expect(body).toMatchObject({
      outputText: "Hello! How can I help you?",
      output: [],
      usage: { inputTokens: 35, outputTokens: 8, cachedInputTokens: 10 },
      model: MODEL,
      finishReason: "stop",
    });
    const sent = fake.requests[0]!.body;
    expect(sent).toMatchObject({ system: "Be kind.", temperature: 0.7, stop_sequences: ["END"] });
    expect(sent.stream).toBe(false);
    expect(sent.seed).toBeUndefined();
  });

  test("tool calls come back in output; a named tool choice is forced", async () => {
    fake.answer(() => ({
      blocks: [
        { type: "tool_use", id: "toolu_1", name: "get_weather", argumentPieces: ['{"city":"Paris"}'] },
        { type: "tool_use", id: "toolu_2", name: "get_weather", argumentPieces: ['{"city":"Lyon"}'] },
      ],
    }));
    const body: any = await (
      await svc.post({ model: MODEL, messages: user, tools: weatherTools, toolChoice: { name: "get_weather" } })
    ).json();
    expect(body.output).toEqual([
      { type: "tool_call", id: "toolu_1", name: "get_weather", arguments: '{"city":"Paris"}' },
      { type: "tool_call", id: "toolu_2", name: "get_weather", arguments: '{"city":"Lyon"}' },
    ]);
    expect(body.finishReason).toBe("tool_calls");
    expect(fake.requests[0]!.body.tool_choice).toEqual({ type: "tool", name: "get_weather" });
  });

  test("JSON output comes back as the answer text", async () => {
    fake.answer(() => ({
      blocks: [{ type: "tool_use", id: "toolu_j", name: "json_response", argumentPieces: ['{"ok":true}'] }],
      stopReason: "tool_use",
    }));
    const body: any = await (await svc.post({ model: MODEL, messages: user, responseFormat: { type: "json_object" } })).json();
    expect(body).toMatchObject({ outputText: '{"ok":true}', output: [], finishReason: "stop" });
    expect(fake.requests[0]!.body.tools[0].input_schema).toEqual({ type: "object", additionalProperties: true });
  });

  test("a length cut and thinking in a JSON answer", async () => {
    fake.answer(() => ({
      blocks: [
        { type: "thinking", pieces: ["hmm"] },
        { type: "text", pieces: ["Part"] },
      ],
      stopReason: "max_tokens",
      usage: { input: 5, output: 2000 },
    }));
    const body: any = await (await svc.post({ model: MODEL, messages: user, reasoningEffort: "low", maxOutputTokens: 2000 })).json();
    expect(body).toMatchObject({ outputText: "Part", finishReason: "length", usage: { inputTokens: 5, outputTokens: 2000 } });
    expect(fake.requests[0]!.body).toMatchObject({ max_tokens: 2000, thinking: { type: "enabled", budget_tokens: 1024 } });
  });

  test("thinking is left off when continuing a tool-use turn (its blocks cannot be replayed)", async () => {
    fake.answer(() => ({ blocks: [{ type: "text", pieces: ["18C"] }] }));
    const res = await svc.post({
      model: MODEL,
      reasoningEffort: "high",
      tools: weatherTools,
      messages: [
        ...user,
        { role: "assistant", toolCalls: [{ id: "toolu_1", name: "get_weather", arguments: '{"city":"Paris"}' }] },
        { role: "tool", toolCallId: "toolu_1", content: "18C" },
      ],
    });
    expect(res.status).toBe(200);
    expect(fake.requests[0]!.body.thinking).toBeUndefined();
  });
});

describe("anthropic: request problems are the client's, named", () => {
  test("invalid JSON arguments in history → 400 naming the message", async () => {
    const res = await svc.post({
      model: MODEL,
      messages: [
        ...user,
        { role: "assistant", toolCalls: [{ id: "toolu_1", name: "get_weather", arguments: "{city: Paris" }] },
        { role: "tool", toolCallId: "toolu_1", content: "18C" },
      ],
    });
    expect(res.status).toBe(400);
    const body: any = await res.json();
    expect(body.code).toBe("invalid_request");
    expect(body.message).toContain("messages[1].toolCalls[0].arguments");
    expect(body.details).toEqual([{ field: "messages[1].toolCalls[0].arguments", message: expect.stringContaining("JSON") }]);
    expect(fake.requests.length).toBe(0);
  });

  test("a non-base64 data URL → 400", async () => {
    const res = await svc.post({
      model: MODEL,
      messages: [{ role: "user", content: [{ type: "image", url: "data:image/svg+xml,%3Csvg%3E" }] }],
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).message).toContain("messages[0].content[0].url");
  });

  test("a tool choice naming no tool → 400", async () => {
    const res = await svc.post({ model: MODEL, messages: user, tools: weatherTools, toolChoice: { name: "get_moon" } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).message).toContain("toolChoice.name");
  });
});

describe("anthropic: upstream errors map to the contract", () => {
  const cases: [string, () => ReturnType<typeof anthropicError>, number, string][] = [
    [
      "prompt too long",
      () => anthropicError(400, "invalid_request_error", "prompt is too long: 215000 tokens > 200000 maximum"),
      400,
      "upstream_invalid_request",
    ],
    ["bad key", () => anthropicError(401, "authentication_error", "invalid x-api-key"), 502, "upstream_error"],
    [
      "billing",
      () => anthropicError(402, "billing_error", "Your credit balance is too low to access the Anthropic API."),
      502,
      "upstream_error",
    ],
    [
      "forbidden",
      () => anthropicError(403, "permission_error", "Your API key does not have permission to use the specified resource."),
      502,
      "upstream_error",
    ],
    ["unknown model", () => anthropicError(404, "not_found_error", "model: claude-x"), 502, "upstream_error"],
    [
      "too large",
      () => ({ status: 413, headers: { "content-type": "text/html" }, body: "<html><body>413 Request Entity Too Large</body></html>" }),
      400,
      "upstream_invalid_request",
    ],
    [
      "rate limited",
      () =>
        anthropicError(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", { "retry-after": "7" }),
      429,
      "rate_limited",
    ],
    ["api error", () => anthropicError(500, "api_error", "Internal server error"), 502, "upstream_error"],
    ["overloaded", () => anthropicError(529, "overloaded_error", "Overloaded"), 502, "upstream_error"],
    ["timeout", () => anthropicError(504, "timeout_error", "Request timeout"), 504, "upstream_timeout"],
  ];
  for (const [name, answer, status, code] of cases) {
    test(`${name} → ${status} ${code}`, async () => {
      fake.answer(answer);
      const { answers } = await expectUpstreamError(svc, { model: MODEL, messages: user }, { status, code, requestId: "req-42" });
      for (const { res, body } of answers) {
        if (code === "rate_limited") expect(res.headers.get("retry-after")).toBe("7");
        if (name === "bad key") expect(body.message).not.toContain("sk-ant");
        if (name === "prompt too long") expect(body.message).toContain("prompt is too long: 215000 tokens > 200000 maximum");
        if (name === "too large") expect(body.message).not.toContain("<html>");
        if (name === "overloaded") expect(body.message).toContain("529");
      }
    });
  }

  test("a wrong key is refused by the fake and reported without the key", async () => {
    await withService(
      { mapping: singleTargetMapping({ type: "anthropic", apiKey: "sk-ant-wrong", baseUrl: fake.url }, DEPLOYMENT, MODEL) },
      async (other) => {
        const res = await other.post({ model: MODEL, messages: user });
        expect(res.status).toBe(502);
        const body: any = await res.json();
        expect(body.message).toContain("credentials");
        expect(body.message).not.toContain("sk-ant-wrong");
      },
    );
  });

  test("an unreachable upstream is a 502 naming the provider", async () => {
    const answers = await answersFromUnreachable(
      { type: "anthropic", apiKey: "k", baseUrl: UNREACHABLE_URL },
      { model: "m", messages: user },
    );
    for (const { res, body } of answers) {
      expect(res.status).toBe(502);
      expect(body.message).toContain("could not reach anthropic");
    }
  });
});
