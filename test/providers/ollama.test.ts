/** The `ollama` provider (native `/api/chat`, NDJSON) against the byte-faithful fake Ollama. */
import { describe, expect, test } from "bun:test";
import { ndjsonLineBatches } from "../../src/providers/wire/ndjson-lines";
import { ollamaError, startOllamaFake, type OllamaFake } from "../fakes/ollama/ollama-fake";
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

let fake: OllamaFake;
let svc: Harness;
const MODEL = "llama";
const user = [{ role: "user", content: "What is the weather in Tokyo?" }];
const weatherTool = {
  name: "get_weather",
  description: "Weather now",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

serviceAgainstFake(async () => {
  fake = await startOllamaFake({ models: ["llama3.2", "gpt-oss:20b"] });
  svc = await startService({ mapping: singleTargetMapping({ type: "ollama", baseUrl: `${fake.url}/` }, "llama3.2", MODEL) });
  return { svc, fake };
});

describe("ollama: streaming", () => {
  test("text streams in the grammar with the counts of the done line", async () => {
    fake.answer(() => ({ text: ["The", " sky", " is blue."], promptEvalCount: 26, evalCount: 5 }));
    const res = await svc.post({ model: MODEL, messages: user, stream: true });
    expect(res.status).toBe(200);
    const lines = await readNdjson(res);
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines).toEqual([
      { type: "text_delta_start", content: "The" },
      { type: "text_delta", content: " sky" },
      { type: "text_delta", content: " is blue." },
      { type: "text_delta_end", content: "" },
      { type: "usage", inputTokens: 26, outputTokens: 5 },
      { type: "finish", finishReason: "stop" },
    ]);
    const sent = fake.requests[0]!;
    expect(sent.url).toBe("/api/chat");
    expect(sent.headers["content-type"]).toBe("application/json");
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.headers.connection).toBe("keep-alive");
    expect(sent.body).toEqual({ model: "llama3.2", messages: [{ role: "user", content: "What is the weather in Tokyo?" }], stream: true });
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({
      model: MODEL,
      provider: "ollama",
      deploymentName: "llama3.2",
      inputTokens: 26,
      outputTokens: 5,
      usageSource: "provider",
      status: "success",
      finishReason: "stop",
    });
  });

  test("lines split across writes, even inside a UTF-8 character, are put back together", async () => {
    fake.answer(() => ({ text: ["Grüße ", "aus Köln ", "🌧️ und Tokyo"], splitLines: true, promptEvalCount: 12, evalCount: 9 }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(streamedText(lines)).toBe("Grüße aus Köln 🌧️ und Tokyo");
    expect(lines.filter((l) => l.type === "text_delta_start" || l.type === "text_delta").length).toBe(3);
    expect(lines.at(-2)).toEqual({ type: "usage", inputTokens: 12, outputTokens: 9 });
  });

  test("parallel tool calls in one line: object arguments become JSON text, done_reason stop becomes tool_calls", async () => {
    fake.answer(() => ({
      toolCalls: [
        { id: "call_k3j9x0qa", name: "get_weather", arguments: { city: "Tokyo" } },
        { id: "call_p2m8z1rb", name: "get_weather", arguments: { city: "Osaka", unit: "celsius" } },
      ],
      promptEvalCount: 169,
      evalCount: 30,
    }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true, tools: [weatherTool] }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines).toEqual([
      { type: "tool_call_start", id: "call_k3j9x0qa", name: "get_weather" },
      { type: "tool_call_delta", id: "call_k3j9x0qa", arguments: '{"city":"Tokyo"}' },
      { type: "tool_call_end", id: "call_k3j9x0qa", name: "get_weather", arguments: '{"city":"Tokyo"}' },
      { type: "tool_call_start", id: "call_p2m8z1rb", name: "get_weather" },
      { type: "tool_call_delta", id: "call_p2m8z1rb", arguments: '{"city":"Osaka","unit":"celsius"}' },
      { type: "tool_call_end", id: "call_p2m8z1rb", name: "get_weather", arguments: '{"city":"Osaka","unit":"celsius"}' },
      { type: "usage", inputTokens: 169, outputTokens: 30 },
      { type: "finish", finishReason: "tool_calls" },
    ]);
    expect(fake.requests[0]!.body.tools).toEqual([{ type: "function", function: weatherTool }]);
  });

  test("tool calls from older Ollama, without ids, get generated ones", async () => {
    fake.answer(() => ({
      toolCalls: [{ name: "get_weather", arguments: {} }],
      legacyToolCalls: true,
      promptEvalCount: 100,
      evalCount: 10,
    }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true, tools: [weatherTool] }));
    expect(grammarViolations(lines)).toEqual([]);
    const end = lines.find((l) => l.type === "tool_call_end") as { id: string; arguments: string };
    expect(end.id).toStartWith("call_");
    expect(end.arguments).toBe("{}");
    expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "tool_calls" });
  });

  test("a replayed tool conversation is sent in Ollama's shape: object arguments, tool_name, raw base64 images", async () => {
    fake.answer(() => ({ text: ["22°C in Tokyo, 25°C in Osaka."], promptEvalCount: 200, evalCount: 12 }));
    const res = await svc.post({
      model: MODEL,
      stream: true,
      messages: [
        { role: "system", content: "Be terse." },
        {
          role: "user",
          content: [
            { type: "text", text: "Weather here?" },
            { type: "image", url: "data:image/png;base64,iVBORw0KGgo=" },
          ],
        },
        {
          role: "assistant",
          content: null,
          toolCalls: [
            { id: "toolu_01A09q90qw90lq917835lq9", name: "get_weather", arguments: '{"city":"Tokyo"}' },
            { id: "call_2", name: "get_time", arguments: "" },
          ],
        },
        { role: "tool", toolCallId: "toolu_01A09q90qw90lq917835lq9", content: "22°C" },
        { role: "tool", toolCallId: "call_2", content: "14:05" },
        { role: "developer", content: "One line." },
      ],
      tools: [weatherTool, { name: "get_time" }],
    });
    const lines = await readNdjson(res);
    expect(grammarViolations(lines)).toEqual([]);
    expect(fake.requests[0]!.body.messages).toEqual([
      { role: "system", content: "Be terse." },
      { role: "user", content: "Weather here?", images: ["iVBORw0KGgo="] },
      {
        role: "assistant",
        content: "",
        tool_calls: [
          { id: "toolu_01A09q90qw90lq917835lq9", function: { name: "get_weather", arguments: { city: "Tokyo" } } },
          { id: "call_2", function: { name: "get_time", arguments: {} } },
        ],
      },
      { role: "tool", content: "22°C", tool_name: "get_weather", tool_call_id: "toolu_01A09q90qw90lq917835lq9" },
      { role: "tool", content: "14:05", tool_name: "get_time", tool_call_id: "call_2" },
      { role: "system", content: "One line." },
    ]);
  });

  test("the fake refuses string tool arguments as Ollama's decoder does, so the conversion above is what made it pass", async () => {
    const res = await fetch(`${fake.url}/api/chat`, {
      method: "POST",
      body: JSON.stringify({
        model: "llama3.2",
        messages: [{ role: "assistant", content: "", tool_calls: [{ function: { name: "f", arguments: '{"a":1}' } }] }],
      }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toContain("cannot unmarshal string");
  });

  test("done_reason length ends as length; maxOutputTokens is num_predict", async () => {
    fake.answer(() => ({ text: ["The sky"], doneReason: "length", promptEvalCount: 26, evalCount: 2 }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true, maxOutputTokens: 2 }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "length" });
    expect(fake.requests[0]!.body.options).toEqual({ num_predict: 2 });
  });

  test("thinking is kept from the client; reasoningEffort is sent as think", async () => {
    fake.answer(() => ({ thinking: ["Let me", " look."], text: ["Sunny."], promptEvalCount: 30, evalCount: 40 }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true, reasoningEffort: "low" }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(streamedText(lines)).toBe("Sunny.");
    expect(JSON.stringify(lines)).not.toContain("look.");
    expect(fake.requests[0]!.body.think).toBe("low");
  });

  test("missing counts (a prompt served from Ollama's cache) are estimated, not a crash", async () => {
    fake.answer(() => ({ text: ["Hello there, friend"], promptEvalCount: null, evalCount: null }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true }));
    expect(grammarViolations(lines)).toEqual([]);
    const usage = lines.find((l) => l.type === "usage") as { inputTokens: number; outputTokens: number };
    expect(usage.outputTokens).toBe(4);
    expect(usage.inputTokens).toBeGreaterThan(5);
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({ status: "success", usageSource: "estimated" });
  });

  test('a mid-stream {"error"} line becomes error, usage, finish:error with Ollama\'s message', async () => {
    fake.answer(() => ({ text: [" Yes"], midStreamError: "an error was encountered while running the model" }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true }));
    const error = expectStreamFailed(lines);
    expect(lines[0]).toEqual({ type: "text_delta_start", content: " Yes" });
    expect(error.code).toBe("upstream_error");
    expect(error.message).toBe("ollama answer failed: an error was encountered while running the model");
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({ status: "error", finishReason: "error", usageSource: "estimated" });
  });

  test("an error line before any content is retried elsewhere or answered as an HTTP error", async () => {
    fake.answer(() => ({ midStreamError: "model runner has unexpectedly stopped" }));
    const res = await svc.post({ model: MODEL, messages: user, stream: true });
    expect(res.status).toBe(502);
    expect(((await res.json()) as any).message).toContain("model runner has unexpectedly stopped");
  });

  test("a connection reset mid-stream ends the stream in the grammar", async () => {
    fake.answer(() => ({ text: ["Half an ans", "wer"], resetAfterContent: true }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true }));
    const error = expectStreamFailed(lines);
    expect(streamedText(lines)).toBe("Half an answer");
    expect(error).toMatchObject({ code: "upstream_error" });
  });

  test("a stream that ends without its done line is an error, not a success", async () => {
    fake.answer(() => ({ text: ["Cut"], omitDone: true }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true }));
    const error = expectStreamFailed(lines);
    expect(error.message).toContain("final `done` line");
  });

  clientDisconnectTests(() => ({ svc, fake }), MODEL, user);
});

describe("ollama: JSON answers", () => {
  test("stream:false is sent explicitly; text, usage and options", async () => {
    fake.answer(() => ({ text: ["Hello! How can I help you?"], promptEvalCount: 25, evalCount: 8 }));
    const res = await svc.post({
      model: MODEL,
      messages: user,
      temperature: 0.2,
      topP: 0.9,
      topK: 40,
      stop: ["END", "STOP"],
      seed: 1,
      presencePenalty: 0.5,
      frequencyPenalty: 0.25,
      maxOutputTokens: 256,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      outputText: "Hello! How can I help you?",
      output: [],
      usage: { inputTokens: 25, outputTokens: 8 },
      model: MODEL,
      finishReason: "stop",
    });
    expect(fake.requests[0]!.body).toEqual({
      model: "llama3.2",
      messages: [{ role: "user", content: "What is the weather in Tokyo?" }],
      stream: false,
      options: {
        num_predict: 256,
        temperature: 0.2,
        top_k: 40,
        top_p: 0.9,
        stop: ["END", "STOP"],
        seed: 1,
        presence_penalty: 0.5,
        frequency_penalty: 0.25,
      },
    });
  });

  test("tool calls and thinking in one JSON answer", async () => {
    fake.answer(() => ({
      thinking: ["Need the tool."],
      toolCalls: [{ id: "call_k3j9x0qa", name: "get_weather", arguments: { city: "Tokyo" } }],
      promptEvalCount: 169,
      evalCount: 18,
    }));
    const body: any = await (await svc.post({ model: MODEL, messages: user, tools: [weatherTool] })).json();
    expect(body).toMatchObject({
      outputText: "",
      output: [{ type: "tool_call", id: "call_k3j9x0qa", name: "get_weather", arguments: '{"city":"Tokyo"}' }],
      finishReason: "tool_calls",
      usage: { inputTokens: 169, outputTokens: 18 },
    });
  });

  test("JSON output: json_object is format json, json_schema is the schema itself", async () => {
    fake.answer(() => ({ text: ['{"city":"Tokyo","temp":22}'], promptEvalCount: 10, evalCount: 9 }));
    const a: any = await (await svc.post({ model: MODEL, messages: user, responseFormat: { type: "json_object" } })).json();
    expect(JSON.parse(a.outputText)).toEqual({ city: "Tokyo", temp: 22 });
    expect(fake.requests[0]!.body.format).toBe("json");
    const schema = { type: "object", properties: { city: { type: "string" }, temp: { type: "number" } }, required: ["city", "temp"] };
    await (await svc.post({ model: MODEL, messages: user, responseFormat: { type: "json_schema", name: "weather", schema } })).json();
    expect(fake.requests[1]!.body.format).toEqual(schema);
    await (await svc.post({ model: MODEL, messages: user, responseFormat: { type: "text" } })).json();
    expect(fake.requests[2]!.body.format).toBeUndefined();
  });

  test("toolChoice: none offers no tools, a named tool offers only that one", async () => {
    fake.answer(() => ({ text: ["ok"], promptEvalCount: 1, evalCount: 1 }));
    const tools = [weatherTool, { name: "get_time" }];
    await (await svc.post({ model: MODEL, messages: user, tools, toolChoice: "none" })).json();
    expect(fake.requests[0]!.body.tools).toBeUndefined();
    await (await svc.post({ model: MODEL, messages: user, tools, toolChoice: { name: "get_time" } })).json();
    expect(fake.requests[1]!.body.tools).toEqual([{ type: "function", function: { name: "get_time" } }]);
  });

  test("an https image is a clear 400 before calling Ollama", async () => {
    const res = await svc.post({
      model: MODEL,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image", url: "https://example.com/cat.png" },
          ],
        },
      ],
    });
    expect(res.status).toBe(400);
    const body: any = await res.json();
    expect(body).toMatchObject({ code: "invalid_request", details: [{ field: "messages[0].content[1].url" }] });
    expect(body.message).toContain("base64 data: URLs");
    expect(fake.requests.length).toBe(0);
  });

  test("a tool result that answers no earlier call is a clear 400 (Ollama needs the tool's name)", async () => {
    const res = await svc.post({ model: MODEL, messages: [...user, { role: "tool", toolCallId: "call_x", content: "1" }] });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "invalid_request", details: [{ field: "messages[1].toolCallId" }] });
  });

  test("tool arguments in history that are not a JSON object are a clear 400", async () => {
    const res = await svc.post({
      model: MODEL,
      messages: [
        ...user,
        { role: "assistant", toolCalls: [{ id: "c1", name: "get_weather", arguments: "[1,2]" }] },
        { role: "tool", toolCallId: "c1", content: "1" },
      ],
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "invalid_request", details: [{ field: "messages[1].toolCalls[0].arguments" }] });
  });
});

describe("ollama: upstream errors map to the contract", () => {
  const cases: [string, () => ReturnType<typeof ollamaError>, number, string, string][] = [
    [
      "model not pulled",
      () => ollamaError(404, 'model "llama3.2" not found, try pulling it first'),
      502,
      "upstream_error",
      "try pulling it first",
    ],
    [
      "model without tools",
      () => ollamaError(400, "registry.ollama.ai/library/llama3.2:latest does not support tools"),
      400,
      "upstream_invalid_request",
      "does not support tools",
    ],
    ["rate limited (cloud)", () => ollamaError(429, "too many requests"), 429, "rate_limited", "too many requests"],
    [
      "server error",
      () => ollamaError(500, "llama runner process has terminated: exit status 2"),
      502,
      "upstream_error",
      "llama runner process has terminated",
    ],
    ["cloud model unreachable", () => ollamaError(502, "cloud model unavailable"), 502, "upstream_error", "cloud model unavailable"],
    [
      "wrong path behind a proxy",
      () => ({ status: 404, headers: { "content-type": "text/plain" }, body: "404 page not found" }),
      502,
      "upstream_error",
      "404 page not found",
    ],
  ];
  for (const [name, answer, status, code, text] of cases) {
    test(`${name} → ${status} ${code}`, async () => {
      fake.answer(answer);
      const { answers, events } = await expectUpstreamError(svc, { model: MODEL, messages: user }, { status, code, requestId: "req-9" });
      for (const { body } of answers) expect(body.message).toContain(text);
      expect(events.every((e) => e.provider === "ollama")).toBe(true);
    });
  }

  test("an unknown model (Ollama's real 404) names the model", async () => {
    await withService({ mapping: singleTargetMapping({ type: "ollama", baseUrl: fake.url }, "llama9") }, async (other) => {
      fake.answer(() => ({ text: ["never"] }));
      const res = await other.post({ model: "m", messages: user, stream: true });
      expect(res.status).toBe(502);
      expect(((await res.json()) as any).message).toBe(
        'ollama has no such model or deployment: model "llama9" not found, try pulling it first',
      );
    });
  });

  test("apiKey is sent as a bearer token; a refused key is the service's problem (502), never echoed", async () => {
    const guarded = await startOllamaFake({ apiKey: "ok-secret" });
    const good = await startService({
      mapping: singleTargetMapping({ type: "ollama", baseUrl: guarded.url, apiKey: "ok-secret", headers: { "x-team": "search" } }),
    });
    const bad = await startService({ mapping: singleTargetMapping({ type: "ollama", baseUrl: guarded.url, apiKey: "wrong-secret" }) });
    try {
      expect((await good.post({ model: "m", messages: user })).status).toBe(200);
      expect(guarded.requests[0]!.headers.authorization).toBe("Bearer ok-secret");
      expect(guarded.requests[0]!.headers["x-team"]).toBe("search");
      const res = await bad.post({ model: "m", messages: user });
      expect(res.status).toBe(502);
      expect(JSON.stringify(await res.json())).not.toContain("wrong-secret");
    } finally {
      await good.stop();
      await bad.stop();
      await guarded.close();
    }
  });

  test("an unreachable Ollama is a 502 naming the provider", async () => {
    const answers = await answersFromUnreachable({ type: "ollama", baseUrl: UNREACHABLE_URL }, { model: "m", messages: user });
    for (const { res, body } of answers) {
      expect(res.status).toBe(502);
      expect(body.message).toContain("could not reach ollama");
    }
  });

  test("a request timeout is a 504 and closes the upstream socket", async () => {
    await withService({ mapping: singleTargetMapping({ type: "ollama", baseUrl: fake.url, timeoutMs: 300 }, "llama3.2") }, async (slow) => {
      fake.answer(() => ({ hangBeforeHeaders: true }));
      const res = await slow.post({ model: "m", messages: user, stream: true });
      expect(res.status).toBe(504);
      expect(await res.json()).toMatchObject({ code: "upstream_timeout" });
      expect(await closedWithin(fake.requests[0]!)).toBe(true);
    });
  });

  test("a garbage line mid-stream is an upstream error in the stream", async () => {
    fake.answer(() => ({
      status: 200,
      headers: { "content-type": "application/x-ndjson" },
      body: [
        { write: '{"model":"llama3.2","created_at":"2025-07-07T20:22:19Z","message":{"role":"assistant","content":"ok"},"done":false}\n' },
        { write: "<html>proxy error</html>\n" },
      ],
    }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true }));
    const error = expectStreamFailed(lines);
    expect(error.message).toContain("malformed JSON");
  });
});

describe("ollama: NDJSON line reader", () => {
  const streamOf = (...pieces: (string | Uint8Array)[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const p of pieces) controller.enqueue(typeof p === "string" ? new TextEncoder().encode(p) : p);
        controller.close();
      },
    });
  const collect = async (body: ReadableStream<Uint8Array>) => {
    const lines: string[] = [];
    for await (const batch of ndjsonLineBatches(body)) lines.push(...batch);
    return lines;
  };

  test("several lines in one read, CRLF, blank lines, and a last line without its newline", async () => {
    expect(await collect(streamOf('{"a":1}\n{"b":2}\r\n\n{"c":', '3}\n{"d":4}'))).toEqual(['{"a":1}', '{"b":2}', '{"c":3}', '{"d":4}']);
  });

  test("a character split across reads", async () => {
    const bytes = new TextEncoder().encode('{"t":"🌧"}\n');
    expect(await collect(streamOf(bytes.subarray(0, 8), bytes.subarray(8)))).toEqual(['{"t":"🌧"}']);
  });
});
