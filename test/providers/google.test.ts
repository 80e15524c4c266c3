/** The `google` provider through the real `@google/genai` client, against the byte-faithful fake upstream. */
import { describe, expect, test } from "bun:test";
import type { ChunkEvent } from "../../src/core/events";
import { decodeGoogleToolCallId } from "../../src/providers/google/google-tool-call-id";
import { googleError, startGoogleFake } from "../fakes/google/google-fake";
import { grammarViolations, readNdjson, streamedText } from "../support/ndjson";
import {
  answersFromUnreachable,
  clientDisconnectTests,
  closedWithin,
  expectStreamFailed,
  expectUpstreamError,
  serviceAgainstFake,
  UNREACHABLE_URL,
  withService,
} from "../support/provider-scenarios";
import { singleTargetMapping, startService, type Harness } from "../support/service-harness";

let fake: Awaited<ReturnType<typeof startGoogleFake>>;
let svc: Harness;
const DEPLOYMENT = "gemini-2.5-flash";
const user = [{ role: "user", content: "What is the weather in Paris?" }];
/** A thought signature as Gemini sends them: standard base64, opaque. */
const SIGNATURE = "EqsFCqgFAdHtim9+/tbA2kPq0zQ8Yv1sK3HnX7wq3B5Pu4Oiz/9MSnSU1l2RZgE=";

serviceAgainstFake(async () => {
  fake = await startGoogleFake({ apiKey: "g-test-key" });
  svc = await startService({
    mapping: {
      providers: {
        // Routing's retries are off here (maxRetries 0) so each upstream request counted is the
        // SDK's own: it must make exactly one per attempt. Retries are tested in test/routing.
        p: {
          type: "google",
          apiKey: "${GEMINI_KEY}",
          baseUrl: fake.url,
          headers: { "x-team": "gateway" },
          timeoutMs: 30_000,
          maxRetries: 0,
        },
        g3: { type: "google", apiKey: "${GEMINI_KEY}", baseUrl: fake.url, maxRetries: 0 },
      },
      models: {
        gemini: { strategy: "fallback", targets: [{ provider: "p", deploymentName: DEPLOYMENT }] },
        gemini3: { strategy: "fallback", targets: [{ provider: "g3", deploymentName: "gemini-3-pro-preview" }] },
      },
    },
    env: { GEMINI_KEY: "g-test-key" },
  });
  return { svc, fake };
});

const toolEnds = (lines: ChunkEvent[]) => lines.filter((l) => l.type === "tool_call_end");

describe("google: streaming", () => {
  test("text streams in the grammar; CRLF SSE without [DONE]; usage counts thinking as output", async () => {
    fake.answer(() => ({
      chunks: [
        [{ text: "The user asks about weather.", thought: true, thoughtSignature: SIGNATURE }],
        [{ text: "Hello" }],
        [{ text: "! How" }],
        [{ text: " can I help" }],
      ],
      finalSignature: SIGNATURE,
      usage: { prompt: 25, candidates: 8, thoughts: 120, cached: 5 },
    }));
    const res = await svc.post({ model: "gemini", messages: user, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = await readNdjson(res);
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines).toEqual([
      { type: "text_delta_start", content: "Hello" },
      { type: "text_delta", content: "! How" },
      { type: "text_delta", content: " can I help" },
      { type: "text_delta_end", content: "" },
      { type: "usage", inputTokens: 25, outputTokens: 128, reasoningTokens: 120, cachedInputTokens: 5 },
      { type: "finish", finishReason: "stop" },
    ]);
    const sent = fake.requests[0]!;
    expect(sent.url).toBe(`/v1beta/models/${DEPLOYMENT}:streamGenerateContent?alt=sse`);
    expect(sent.headers["x-goog-api-key"]).toBe("g-test-key");
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.headers["x-team"]).toBe("gateway");
    expect(sent.headers["x-server-timeout"]).toBe("30");
    expect(sent.body).toEqual({ contents: [{ role: "user", parts: [{ text: "What is the weather in Paris?" }] }], generationConfig: {} });
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({
      model: "gemini",
      provider: "google",
      providerId: "p",
      deploymentName: DEPLOYMENT,
      inputTokens: 25,
      outputTokens: 128,
      totalTokens: 153,
      reasoningTokens: 120,
      cachedInputTokens: 5,
      usageSource: "provider",
      status: "success",
      finishReason: "stop",
      stream: true,
    });
  });

  test("parallel function calls in one chunk: one call each, ids generated, the signature kept in the first id", async () => {
    fake.answer(() => ({
      chunks: [
        [
          { functionCall: { name: "get_weather", args: { city: "Paris" } }, thoughtSignature: SIGNATURE },
          { functionCall: { name: "get_time", args: { tz: "Europe/Paris" } } },
        ],
      ],
      usage: { prompt: 53, candidates: 17, thoughts: 40 },
    }));
    const res = await svc.post({
      model: "gemini",
      messages: user,
      stream: true,
      tools: [
        {
          name: "get_weather",
          description: "Weather by city",
          parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
        },
        { type: "function", function: { name: "get_time" } },
      ],
      toolChoice: "auto",
    });
    const lines = await readNdjson(res);
    expect(grammarViolations(lines)).toEqual([]);
    const ends = toolEnds(lines) as Extract<ChunkEvent, { type: "tool_call_end" }>[];
    expect(ends.map((e) => [e.name, e.arguments])).toEqual([
      ["get_weather", '{"city":"Paris"}'],
      ["get_time", '{"tz":"Europe/Paris"}'],
    ]);
    expect(ends[0]!.id).not.toBe(ends[1]!.id);
    expect(ends[0]!.id).toMatch(/^call_[A-Za-z0-9]+__gtsb[A-Za-z0-9_-]+$/);
    expect(decodeGoogleToolCallId(ends[0]!.id).thoughtSignature).toBe(SIGNATURE);
    expect(ends[1]!.id).toMatch(/^call_[A-Za-z0-9]+$/);
    expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "tool_calls" });
    expect(fake.requests[0]!.body.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: "get_weather",
            description: "Weather by city",
            parametersJsonSchema: {
              type: "object",
              properties: { city: { type: "string" } },
              required: ["city"],
              additionalProperties: false,
            },
          },
          { name: "get_time" },
        ],
      },
    ]);
    expect(fake.requests[0]!.body.toolConfig).toEqual({ functionCallingConfig: { mode: "AUTO" } });
  });

  test("a replayed tool conversation goes upstream in Gemini's shape, the thought signature back on its part", async () => {
    fake.answer(() => ({
      chunks: [
        [
          { functionCall: { name: "get_weather", args: { city: "Paris" } }, thoughtSignature: SIGNATURE },
          { functionCall: { name: "get_weather", args: { city: "Lyon" } } },
        ],
      ],
      usage: { prompt: 20, candidates: 10 },
    }));
    const tools = [{ name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }];
    const first: any = await (await svc.post({ model: "gemini", messages: user, tools })).json();
    expect(first.finishReason).toBe("tool_calls");
    const [paris, lyon] = (first.output as { id: string; name: string; arguments: string }[]).map(({ id, name, arguments: args }) => ({
      id,
      name,
      arguments: args,
    }));

    fake.answer(() => ({ text: ["Paris 18C, Lyon 21C."], usage: { prompt: 60, candidates: 8 } }));
    const res = await svc.post({
      model: "gemini",
      stream: true,
      tools,
      messages: [
        { role: "system", content: "Be terse." },
        ...user,
        { role: "assistant", content: null, toolCalls: [paris, lyon] },
        { role: "tool", toolCallId: paris!.id, content: '{"tempC":18}' },
        { role: "tool", toolCallId: lyon!.id, content: "21C and sunny" },
        { role: "user", content: "And in Kelvin?" },
      ],
    });
    const lines = await readNdjson(res);
    expect(grammarViolations(lines)).toEqual([]);
    expect(streamedText(lines)).toBe("Paris 18C, Lyon 21C.");
    const sent = fake.requests[1]!.body;
    const parisCore = decodeGoogleToolCallId(paris!.id).core;
    expect(sent.systemInstruction).toEqual({ parts: [{ text: "Be terse." }] });
    expect(sent.contents).toEqual([
      { role: "user", parts: [{ text: "What is the weather in Paris?" }] },
      {
        role: "model",
        parts: [
          { functionCall: { id: parisCore, name: "get_weather", args: { city: "Paris" } }, thoughtSignature: SIGNATURE },
          { functionCall: { id: lyon!.id, name: "get_weather", args: { city: "Lyon" } } },
        ],
      },
      {
        role: "user",
        parts: [
          { functionResponse: { id: parisCore, name: "get_weather", response: { tempC: 18 } } },
          { functionResponse: { id: lyon!.id, name: "get_weather", response: { content: "21C and sunny" } } },
          { text: "And in Kelvin?" },
        ],
      },
    ]);
  });

  test("Gemini 3: replayed calls without a signature carry Google's skip sentinel; effort becomes thinkingLevel", async () => {
    fake.answer(() => ({ text: ["ok"], usage: { prompt: 5, candidates: 1 } }));
    const res = await svc.post({
      model: "gemini3",
      reasoningEffort: "high",
      messages: [
        ...user,
        { role: "assistant", content: "Let me look.", toolCalls: [{ id: "toolu_01", name: "lookup", arguments: "" }] },
        { role: "tool", toolCallId: "toolu_01", content: "[1,2]" },
      ],
    });
    expect(res.status).toBe(200);
    const sent = fake.requests[0]!.body;
    expect(fake.requests[0]!.url).toBe("/v1beta/models/gemini-3-pro-preview:generateContent");
    expect(sent.contents[1]).toEqual({
      role: "model",
      parts: [
        { text: "Let me look." },
        { functionCall: { id: "toolu_01", name: "lookup", args: {} }, thoughtSignature: "skip_thought_signature_validator" },
      ],
    });
    expect(sent.contents[2].parts[0]).toEqual({ functionResponse: { id: "toolu_01", name: "lookup", response: { content: "[1,2]" } } });
    expect(sent.generationConfig.thinkingConfig).toEqual({ thinkingLevel: "HIGH" });
  });

  test("a length cut finishes with length", async () => {
    fake.answer(() => ({ text: ["cut sh"], finishReason: "MAX_TOKENS", usage: { prompt: 4, candidates: 1 } }));
    const lines = await readNdjson(await svc.post({ model: "gemini", messages: user, stream: true, maxOutputTokens: 1 }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "length" });
    expect(fake.requests[0]!.body.generationConfig).toEqual({ maxOutputTokens: 1 });
  });

  test("a safety stop finishes with content_filter", async () => {
    fake.answer(() => ({ text: ["Here is how"], finishReason: "SAFETY", usage: { prompt: 4, candidates: 3 } }));
    const lines = await readNdjson(await svc.post({ model: "gemini", messages: user, stream: true }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(streamedText(lines)).toBe("Here is how");
    expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "content_filter" });
  });

  test("a blocked prompt is an empty answer finished by content_filter, with Google's prompt count", async () => {
    fake.answer(() => ({ blockReason: "PROHIBITED_CONTENT", usage: { prompt: 7, candidates: 0 } }));
    const lines = await readNdjson(await svc.post({ model: "gemini", messages: user, stream: true }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines).toEqual([
      { type: "usage", inputTokens: 7, outputTokens: 0 },
      { type: "finish", finishReason: "content_filter" },
    ]);
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({
      status: "success",
      finishReason: "content_filter",
      inputTokens: 7,
      outputTokens: 0,
      usageSource: "provider",
    });
  });

  test("a malformed function call is an error, not a silent stop", async () => {
    // Google explains in `finishMessage`, which the SDK drops on the Gemini API path.
    fake.answer(() => ({
      chunks: [],
      finishReason: "MALFORMED_FUNCTION_CALL",
      finishMessage: "Malformed function call: get_weather(city=)",
      usage: { prompt: 4, candidates: 0 },
    }));
    for (const stream of [true, false]) {
      const res = await svc.post({ model: "gemini", messages: user, stream, tools: [{ name: "get_weather" }] });
      expect(res.status).toBe(502);
      expect(await res.json()).toMatchObject({
        code: "upstream_error",
        message: "google could not complete the answer (MALFORMED_FUNCTION_CALL)",
      });
    }
  });

  test("after some text, a failed finish is an error line in the stream", async () => {
    fake.answer(() => ({ text: ["Calling the tool"], finishReason: "MALFORMED_FUNCTION_CALL", usage: { prompt: 4, candidates: 3 } }));
    const lines = await readNdjson(await svc.post({ model: "gemini", messages: user, stream: true, tools: [{ name: "get_weather" }] }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines.slice(-3)).toEqual([
      { type: "error", code: "upstream_error", message: "google could not complete the answer (MALFORMED_FUNCTION_CALL)" },
      { type: "usage", inputTokens: 4, outputTokens: 3 },
      { type: "finish", finishReason: "error" },
    ]);
  });

  test("a bare error object mid-stream becomes error, usage, finish:error", async () => {
    fake.answer(() => ({
      text: ["Partial"],
      midStreamError: { code: 500, message: "An internal error has occurred.", status: "INTERNAL" },
    }));
    const lines = await readNdjson(await svc.post({ model: "gemini", messages: user, stream: true }));
    const error = expectStreamFailed(lines);
    expect(lines[0]).toEqual({ type: "text_delta_start", content: "Partial" });
    expect(error.code).toBe("upstream_error");
    expect(error.message).toBe("google answer failed: An internal error has occurred. (INTERNAL)");
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({ status: "error", finishReason: "error" });
    expect(event!.outputTokens).toBeGreaterThan(0);
  });

  test("a connection reset mid-stream ends the stream in the grammar", async () => {
    fake.answer(() => ({ text: ["Half an ans", "wer"], resetAfterContent: true }));
    const lines = await readNdjson(await svc.post({ model: "gemini", messages: user, stream: true }));
    const error = expectStreamFailed(lines);
    expect(streamedText(lines)).toBe("Half an answer");
    expect(error).toMatchObject({ code: "upstream_error", message: "connection to google lost: the upstream closed the connection" });
  });

  test("a malformed chunk is an upstream error in the stream", async () => {
    fake.answer(() => ({ text: ["ok", "more"], malformedChunk: "{not json" }));
    const lines = await readNdjson(await svc.post({ model: "gemini", messages: user, stream: true }));
    const error = expectStreamFailed(lines);
    expect(error).toMatchObject({ code: "upstream_error" });
    expect(error.message).toContain("malformed chunk");
  });

  test("a stream that closes without a finish reason fails once: the SDK does not reconnect on its own", async () => {
    fake.answer(() => ({ chunks: [], finishReason: null }));
    const res = await svc.post({ model: "gemini", messages: user, stream: true });
    expect(res.status).toBe(502);
    expect(((await res.json()) as any).message).toContain("ended before a finish reason");
    expect(fake.requests).toHaveLength(1);
  });

  clientDisconnectTests(() => ({ svc, fake }), "gemini", user);
});

describe("google: JSON answers", () => {
  test("text, usage, the requested model name and every generation parameter", async () => {
    fake.answer(() => ({ text: ["Hello! ", "How can I help you?"], usage: { prompt: 25, candidates: 8 } }));
    const res = await svc.post({
      model: "gemini",
      messages: [{ role: "developer", content: "Be kind." }, ...user],
      temperature: 0.7,
      topP: 0.9,
      topK: 40,
      maxOutputTokens: 512,
      stop: "END",
      seed: 7,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
      reasoningEffort: "low",
    });
    expect(res.status).toBe(200);
    const body: any = await res.json();
    expect(body).toMatchObject({
      outputText: "Hello! How can I help you?",
      output: [],
      usage: { inputTokens: 25, outputTokens: 8 },
      model: "gemini",
      finishReason: "stop",
    });
    const sent = fake.requests[0]!;
    expect(sent.url).toBe(`/v1beta/models/${DEPLOYMENT}:generateContent`);
    expect(sent.body.systemInstruction).toEqual({ parts: [{ text: "Be kind." }] });
    expect(sent.body.generationConfig).toEqual({
      temperature: 0.7,
      topP: 0.9,
      topK: 40,
      maxOutputTokens: 512,
      stopSequences: ["END"],
      seed: 7,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
      thinkingConfig: { thinkingBudget: 1024 },
    });
  });

  test("function calls come back in output with a forced tool choice", async () => {
    fake.answer(() => ({
      chunks: [[{ functionCall: { name: "get_weather", args: { city: "Paris" } } }]],
      usage: { prompt: 5, candidates: 5 },
    }));
    const body: any = await (
      await svc.post({
        model: "gemini",
        messages: user,
        tools: [{ name: "get_weather" }, { name: "other" }],
        toolChoice: { name: "get_weather" },
      })
    ).json();
    expect(body.output).toHaveLength(1);
    expect(body.output[0]).toMatchObject({ type: "tool_call", name: "get_weather", arguments: '{"city":"Paris"}' });
    expect(body.output[0].id).toMatch(/^call_/);
    expect(body.finishReason).toBe("tool_calls");
    expect(fake.requests[0]!.body.toolConfig).toEqual({ functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] } });
  });

  test("JSON output: json_object sets the MIME type, json_schema adds the schema", async () => {
    fake.answer(() => ({ text: ['{"ok":true}'], usage: { prompt: 5, candidates: 5 } }));
    const schema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] };
    const body: any = await (
      await svc.post({ model: "gemini", messages: user, responseFormat: { type: "json_schema", name: "answer", schema, strict: true } })
    ).json();
    expect(body.outputText).toBe('{"ok":true}');
    expect(fake.requests[0]!.body.generationConfig).toEqual({ responseMimeType: "application/json", responseJsonSchema: schema });
    await svc.post({ model: "gemini", messages: user, responseFormat: { type: "json_object" } });
    expect(fake.requests[1]!.body.generationConfig).toEqual({ responseMimeType: "application/json" });
  });

  test("a blocked prompt answers 200 with nothing in it and content_filter", async () => {
    fake.answer(() => ({ blockReason: "SAFETY", usage: { prompt: 7, candidates: 0 } }));
    const res = await svc.post({ model: "gemini", messages: user });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      outputText: "",
      output: [],
      finishReason: "content_filter",
      usage: { inputTokens: 7, outputTokens: 0 },
    });
  });

  test("images: data: URLs inline, https URLs by reference with a MIME type from the extension", async () => {
    fake.answer(() => ({ text: ["A cat."], usage: { prompt: 300, candidates: 2 } }));
    const res = await svc.post({
      model: "gemini",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What are these?" },
            { type: "image", url: "data:image/png;base64,iVBORw0KGgo=" },
            { type: "image", url: "https://example.com/photos/cat.webp?size=large" },
            { type: "image", url: "https://example.com/render" },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(fake.requests[0]!.body.contents[0].parts).toEqual([
      { text: "What are these?" },
      { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
      { fileData: { fileUri: "https://example.com/photos/cat.webp?size=large", mimeType: "image/webp" } },
      { fileData: { fileUri: "https://example.com/render", mimeType: "image/jpeg" } },
    ]);
  });

  test("history Gemini cannot take is a 400 naming the field, and nothing is sent", async () => {
    const res = await svc.post({
      model: "gemini",
      messages: [
        ...user,
        {
          role: "assistant",
          toolCalls: [
            { id: "c1", name: "f", arguments: "{oops" },
            { id: "c2", name: "g", arguments: "[1]" },
          ],
        },
        { role: "tool", toolCallId: "c9", content: "x" },
      ],
    });
    expect(res.status).toBe(400);
    const body: any = await res.json();
    expect(body.code).toBe("invalid_request");
    expect(body.details.map((d: { field: string }) => d.field)).toEqual([
      "messages[1].toolCalls[0].arguments",
      "messages[1].toolCalls[1].arguments",
      "messages[2].toolCallId",
    ]);
    expect(fake.requests).toHaveLength(0);
  });
});

describe("google: upstream errors map to the contract", () => {
  const retryInfo = [
    {
      "@type": "type.googleapis.com/google.rpc.QuotaFailure",
      violations: [{ quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests" }],
    },
    { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "34.4s" },
  ];
  const cases: [string, () => ReturnType<typeof googleError>, number, string][] = [
    [
      "context too long",
      () => googleError(400, "INVALID_ARGUMENT", "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)."),
      400,
      "upstream_invalid_request",
    ],
    [
      "bad key (a 400 at Google)",
      () =>
        googleError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [
          { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID" },
        ]),
      502,
      "upstream_error",
    ],
    ["permission denied", () => googleError(403, "PERMISSION_DENIED", "Your API key was reported as leaked."), 502, "upstream_error"],
    ["unknown model", () => googleError(404, "NOT_FOUND", "models/gemini-9 is not found for API version v1beta."), 502, "upstream_error"],
    [
      "rate limited",
      () =>
        googleError(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and billing details.", retryInfo),
      429,
      "rate_limited",
    ],
    ["internal", () => googleError(500, "INTERNAL", "An internal error has occurred."), 502, "upstream_error"],
    ["overloaded", () => googleError(503, "UNAVAILABLE", "The model is overloaded. Please try again later."), 502, "upstream_error"],
    ["deadline", () => googleError(504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete."), 504, "upstream_timeout"],
  ];
  for (const [name, answer, status, code] of cases) {
    test(`${name} → ${status} ${code}`, async () => {
      fake.answer(answer);
      const { answers } = await expectUpstreamError(svc, { model: "gemini", messages: user }, { status, code, requestId: "req-42" });
      for (const { res, body } of answers) {
        if (code === "rate_limited") expect(res.headers.get("retry-after")).toBe("35");
        if (status === 502 && name.startsWith("bad key")) expect(body.message).toBe("google rejected the service's credentials (HTTP 400)");
        if (code === "upstream_invalid_request") expect(body.message).toContain("exceeds the maximum number of tokens");
        if (name === "overloaded") expect(body.message).toBe("google failed (HTTP 503): The model is overloaded. Please try again later.");
      }
      // One upstream call per request: the SDK's own retries are off.
      expect(fake.requests).toHaveLength(2);
    });
  }

  test("an unreachable upstream is a 502 naming the provider", async () => {
    const answers = await answersFromUnreachable(
      { type: "google", apiKey: "k", baseUrl: UNREACHABLE_URL },
      { model: "m", messages: user },
      DEPLOYMENT,
    );
    for (const { res, body } of answers) {
      expect(res.status).toBe(502);
      expect(body.message).toContain("could not reach google");
    }
  });

  test("the mapping's timeoutMs bounds a call that hangs, before or after the first byte", async () => {
    await withService(
      { mapping: singleTargetMapping({ type: "google", apiKey: "g-test-key", baseUrl: fake.url, timeoutMs: 300 }, DEPLOYMENT) },
      async (slow) => {
        fake.answer(() => ({ text: ["Still thinking"], hangAfterContent: true }));
        const lines = await readNdjson(await slow.post({ model: "m", messages: user, stream: true }));
        const error = expectStreamFailed(lines);
        expect(error).toMatchObject({ code: "upstream_timeout" });
        expect(await closedWithin(fake.requests[0]!, 2000)).toBe(true);
        fake.answer(() => ({ hangBeforeHeaders: true }));
        const t0 = performance.now();
        const res = await slow.post({ model: "m", messages: user });
        expect(res.status).toBe(504);
        expect(performance.now() - t0).toBeLessThan(2000);
        expect(await closedWithin(fake.requests[1]!, 2000)).toBe(true);
      },
    );
  });

  test("the SDK's environment switches do not reach the client: the Gemini API and the mapping's key, always", async () => {
    const saved = { v: process.env.GOOGLE_GENAI_USE_VERTEXAI, k: process.env.GEMINI_API_KEY };
    process.env.GOOGLE_GENAI_USE_VERTEXAI = "true";
    process.env.GEMINI_API_KEY = "from-env";
    const other = await startService({
      mapping: singleTargetMapping({ type: "google", apiKey: "g-test-key", baseUrl: fake.url }, DEPLOYMENT),
    });
    try {
      fake.answer(() => ({ text: ["ok"], usage: { prompt: 1, candidates: 1 } }));
      const res = await other.post({ model: "m", messages: user });
      expect(res.status).toBe(200);
      expect(fake.requests[0]!.url).toBe(`/v1beta/models/${DEPLOYMENT}:generateContent`);
      expect(fake.requests[0]!.headers["x-goog-api-key"]).toBe("g-test-key");
    } finally {
      await other.stop();
      if (saved.v === undefined) delete process.env.GOOGLE_GENAI_USE_VERTEXAI;
      else process.env.GOOGLE_GENAI_USE_VERTEXAI = saved.v;
      if (saved.k === undefined) delete process.env.GEMINI_API_KEY;
      else process.env.GEMINI_API_KEY = saved.k;
    }
  });
});
