/** The `mistral` provider through the real Mistral SDK, against the byte-faithful fake upstream. */
import { describe, expect, test } from "bun:test";
import { toMistralToolCallId } from "../../src/providers/mistral/mistral-tool-call-id";
import { mistralError, mistralValidationError, startMistralFake, type MistralFake } from "../fakes/mistral/mistral-fake";
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

let fake: MistralFake;
let svc: Harness;
const MODEL = "mistral-small";
const user = [{ role: "user", content: "What is the weather in Paris?" }];

serviceAgainstFake(async () => {
  fake = await startMistralFake({ apiKey: "mk-test" });
  svc = await startService({
    // Routing's retries are off here (maxRetries 0) so each upstream request counted is the SDK's
    // own: it must make exactly one per attempt. Retries are tested in test/routing.
    mapping: singleTargetMapping(
      { type: "mistral", apiKey: "${MISTRAL_KEY}", baseUrl: fake.url, maxRetries: 0 },
      "mistral-small-latest",
      MODEL,
    ),
    env: { MISTRAL_KEY: "mk-test" },
  });
  return { svc, fake };
});

describe("mistral: streaming", () => {
  test("text streams in the grammar with the usage of the finish chunk", async () => {
    fake.answer(() => ({ text: ["Hello", ", world", "!"], usage: { prompt_tokens: 13, completion_tokens: 8, cached: 4 } }));
    const res = await svc.post({ model: MODEL, messages: user, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = await readNdjson(res);
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines).toEqual([
      { type: "text_delta_start", content: "Hello" },
      { type: "text_delta", content: ", world" },
      { type: "text_delta", content: "!" },
      { type: "text_delta_end", content: "" },
      { type: "usage", inputTokens: 13, outputTokens: 8, cachedInputTokens: 4 },
      { type: "finish", finishReason: "stop" },
    ]);
    const sent = fake.requests[0]!;
    expect(sent.url).toBe("/v1/chat/completions");
    expect(sent.headers.authorization).toBe("Bearer mk-test");
    expect(sent.headers.accept).toBe("text/event-stream");
    expect(sent.body).toEqual({
      model: "mistral-small-latest",
      stream: true,
      messages: [{ role: "user", content: "What is the weather in Paris?" }],
    });
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({
      model: MODEL,
      provider: "mistral",
      deploymentName: "mistral-small-latest",
      inputTokens: 13,
      outputTokens: 8,
      cachedInputTokens: 4,
      usageSource: "provider",
      status: "success",
      finishReason: "stop",
      stream: true,
    });
  });

  test("parallel tool calls arriving whole in one chunk, without index, stay two calls with Mistral's ids", async () => {
    fake.answer(() => ({
      toolCalls: [
        { id: "gSIMJiOkT", name: "get_weather", arguments: '{"location": "Paris"}' },
        { id: "Qr7t2LmXa", name: "get_time", arguments: '{"tz": "Europe/Paris"}' },
      ],
      usage: { prompt_tokens: 124, completion_tokens: 22 },
    }));
    const res = await svc.post({
      model: MODEL,
      messages: user,
      stream: true,
      tools: [
        { name: "get_weather", description: "Weather now", parameters: { type: "object", properties: { location: { type: "string" } } } },
        { name: "get_time" },
      ],
      toolChoice: "required",
    });
    const lines = await readNdjson(res);
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines).toEqual([
      { type: "tool_call_start", id: "gSIMJiOkT", name: "get_weather" },
      { type: "tool_call_delta", id: "gSIMJiOkT", arguments: '{"location": "Paris"}' },
      { type: "tool_call_end", id: "gSIMJiOkT", name: "get_weather", arguments: '{"location": "Paris"}' },
      { type: "tool_call_start", id: "Qr7t2LmXa", name: "get_time" },
      { type: "tool_call_delta", id: "Qr7t2LmXa", arguments: '{"tz": "Europe/Paris"}' },
      { type: "tool_call_end", id: "Qr7t2LmXa", name: "get_time", arguments: '{"tz": "Europe/Paris"}' },
      { type: "usage", inputTokens: 124, outputTokens: 22 },
      { type: "finish", finishReason: "tool_calls" },
    ]);
    const sent = fake.requests[0]!.body;
    expect(sent.tools).toEqual([
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Weather now",
          parameters: { type: "object", properties: { location: { type: "string" } } },
        },
      },
      { type: "function", function: { name: "get_time", parameters: { type: "object", properties: {} } } },
    ]);
    expect(sent.tool_choice).toBe("any");
  });

  test("a replayed tool conversation from another provider gets Mistral-valid ids, the same in call and result", async () => {
    fake.answer(() => ({ text: ["It is 18°C and 14:05 in Paris."], usage: { prompt_tokens: 80, completion_tokens: 12 } }));
    const history = [
      { role: "system", content: "Be terse." },
      { role: "user", content: "Weather and time in Paris?" },
      {
        role: "assistant",
        content: null,
        toolCalls: [
          { id: "call_0fypS1hVXabc", name: "get_weather", arguments: '{"location":"Paris"}' },
          { id: "toolu_01A09q90qw90lq917835lq9", name: "get_time", arguments: '{"tz":"Europe/Paris"}' },
        ],
      },
      { role: "tool", toolCallId: "call_0fypS1hVXabc", content: "18°C" },
      { role: "tool", toolCallId: "toolu_01A09q90qw90lq917835lq9", content: "14:05" },
      { role: "assistant", content: "Anything else?", toolCalls: [{ id: "gSIMJiOkT", name: "get_weather", arguments: "{}" }] },
      { role: "tool", toolCallId: "gSIMJiOkT", content: "18°C" },
      { role: "developer", content: "Answer in one line." },
    ];
    const res = await svc.post({ model: MODEL, messages: history, stream: true });
    const lines = await readNdjson(res);
    expect(grammarViolations(lines)).toEqual([]);
    expect(streamedText(lines)).toBe("It is 18°C and 14:05 in Paris.");

    const weatherId = toMistralToolCallId("call_0fypS1hVXabc");
    const timeId = toMistralToolCallId("toolu_01A09q90qw90lq917835lq9");
    expect(weatherId).toMatch(/^[a-zA-Z0-9]{9}$/);
    expect(timeId).toMatch(/^[a-zA-Z0-9]{9}$/);
    expect(weatherId).not.toBe(timeId);
    expect(fake.requests[0]!.body.messages).toEqual([
      { role: "system", content: "Be terse." },
      { role: "user", content: "Weather and time in Paris?" },
      {
        role: "assistant",
        content: "",
        tool_calls: [
          { id: weatherId, type: "function", function: { name: "get_weather", arguments: '{"location":"Paris"}' }, index: 0 },
          { id: timeId, type: "function", function: { name: "get_time", arguments: '{"tz":"Europe/Paris"}' }, index: 1 },
        ],
        prefix: false,
      },
      { role: "tool", content: "18°C", tool_call_id: weatherId, name: "get_weather" },
      { role: "tool", content: "14:05", tool_call_id: timeId, name: "get_time" },
      {
        role: "assistant",
        content: "Anything else?",
        tool_calls: [{ id: "gSIMJiOkT", type: "function", function: { name: "get_weather", arguments: "{}" }, index: 0 }],
        prefix: false,
      },
      { role: "tool", content: "18°C", tool_call_id: "gSIMJiOkT", name: "get_weather" },
      { role: "system", content: "Answer in one line." },
    ]);

    // The next turn maps the same ids the same way.
    await (await svc.post({ model: MODEL, messages: history })).json();
    expect(fake.requests[1]!.body.messages[2].tool_calls[0].id).toBe(weatherId);
  });

  test("the fake refuses foreign ids as Mistral does, so the mapping above is what made it pass", async () => {
    const res = await fetch(`${fake.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer mk-test", "content-type": "application/json" },
      body: JSON.stringify({
        model: "mistral-small-latest",
        messages: [
          { role: "user", content: "hi" },
          {
            role: "assistant",
            content: "",
            tool_calls: [{ id: "call_0fypS1hVX", type: "function", function: { name: "f", arguments: "{}" } }],
          },
          { role: "tool", tool_call_id: "call_0fypS1hVX", content: "1" },
        ],
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      object: "error",
      message: "Tool call id was call_0fypS1hVX but must be a-z, A-Z, 0-9, with a length of 9.",
      type: "invalid_function_call",
      param: null,
      code: "3280",
    });
  });

  test("model_length and length both end as length; maxOutputTokens is sent as max_tokens", async () => {
    for (const reason of ["model_length", "length"]) {
      fake.answer(() => ({ text: ["Paris is"], finishReason: reason, usage: { prompt_tokens: 10, completion_tokens: 2 } }));
      const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true, maxOutputTokens: 2 }));
      expect(grammarViolations(lines)).toEqual([]);
      expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "length" });
    }
    expect(fake.requests[0]!.body.max_tokens).toBe(2);
  });

  test("Magistral thinking is kept from the client and the answer text streams", async () => {
    fake.answer(() => ({
      thinking: ["The user wants", " the weather."],
      text: ["Sunny", " in Paris."],
      usage: { prompt_tokens: 20, completion_tokens: 30 },
    }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true, reasoningEffort: "high" }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(streamedText(lines)).toBe("Sunny in Paris.");
    expect(JSON.stringify(lines)).not.toContain("weather.");
    expect(fake.requests[0]!.body.reasoning_effort).toBe("high");
  });

  test('finish_reason "error" mid-stream becomes error, usage, finish:error', async () => {
    fake.answer(() => ({ text: ["Partial"], finishReason: "error", usage: { prompt_tokens: 11, completion_tokens: 1 } }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true }));
    const error = expectStreamFailed(lines);
    expect(lines[0]).toEqual({ type: "text_delta_start", content: "Partial" });
    expect(error.code).toBe("upstream_error");
    expect(error.message).toContain('finish_reason "error"');
    expect(lines.find((l) => l.type === "usage")).toMatchObject({ inputTokens: 11 });
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({ status: "error", finishReason: "error", inputTokens: 11 });
  });

  test("an error object instead of a chunk mid-stream is an upstream error in the stream", async () => {
    fake.answer(() => ({
      text: ["Partial"],
      rawEventAfterContent: { object: "error", message: "Service unavailable.", type: "internal_server_error", param: null, code: "1000" },
    }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true }));
    const error = expectStreamFailed(lines);
    expect(error.code).toBe("upstream_error");
    expect(error.message).toContain("mistral answer failed");
  });

  test("a connection reset mid-stream ends the stream in the grammar", async () => {
    fake.answer(() => ({ text: ["Half an ans", "wer"], resetAfterContent: true }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true }));
    const error = expectStreamFailed(lines);
    expect(streamedText(lines)).toBe("Half an answer");
    expect(error).toMatchObject({ code: "upstream_error" });
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({ status: "error", usageSource: "estimated" });
  });

  clientDisconnectTests(() => ({ svc, fake }), MODEL, user);
});

describe("mistral: JSON answers", () => {
  test("text, usage, the requested model name, and parameters in Mistral's names", async () => {
    fake.answer(() => ({ text: ["Hello! How can I help you?"], usage: { prompt_tokens: 25, completion_tokens: 8 } }));
    const res = await svc.post({
      model: MODEL,
      messages: user,
      temperature: 0.7,
      topP: 0.9,
      topK: 40,
      stop: "END",
      seed: 7,
      presencePenalty: 0.5,
      frequencyPenalty: 0.25,
      maxOutputTokens: 100,
    });
    expect(res.status).toBe(200);
    const body: any = await res.json();
    expect(body).toMatchObject({
      outputText: "Hello! How can I help you?",
      output: [],
      usage: { inputTokens: 25, outputTokens: 8 },
      model: MODEL,
      finishReason: "stop",
    });
    const sent = fake.requests[0]!;
    expect(sent.headers.accept).toBe("application/json");
    expect(sent.body).toEqual({
      model: "mistral-small-latest",
      stream: false,
      messages: [{ role: "user", content: "What is the weather in Paris?" }],
      temperature: 0.7,
      top_p: 0.9,
      stop: ["END"],
      random_seed: 7,
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
      max_tokens: 100,
    });
  });

  test("tool calls come back in output; a named tool choice is sent as a function choice", async () => {
    fake.answer(() => ({
      toolCalls: [{ id: "gSIMJiOkT", name: "get_weather", arguments: '{"location": "Paris"}' }],
      usage: { prompt_tokens: 5, completion_tokens: 5 },
    }));
    const body: any = await (
      await svc.post({ model: MODEL, messages: user, tools: [{ name: "get_weather" }], toolChoice: { name: "get_weather" } })
    ).json();
    expect(body.output).toEqual([{ type: "tool_call", id: "gSIMJiOkT", name: "get_weather", arguments: '{"location": "Paris"}' }]);
    expect(body.finishReason).toBe("tool_calls");
    expect(fake.requests[0]!.body.tool_choice).toEqual({ type: "function", function: { name: "get_weather" } });
  });

  test("JSON output: json_object and json_schema response formats", async () => {
    fake.answer(() => ({ text: ['{"city":"Paris","temp":18}'], usage: { prompt_tokens: 5, completion_tokens: 9 } }));
    const a: any = await (await svc.post({ model: MODEL, messages: user, responseFormat: { type: "json_object" } })).json();
    expect(JSON.parse(a.outputText)).toEqual({ city: "Paris", temp: 18 });
    expect(fake.requests[0]!.body.response_format).toEqual({ type: "json_object" });
    const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
    await (
      await svc.post({ model: MODEL, messages: user, responseFormat: { type: "json_schema", name: "weather", schema, strict: true } })
    ).json();
    expect(fake.requests[1]!.body.response_format).toEqual({ type: "json_schema", json_schema: { name: "weather", schema, strict: true } });
  });

  test("images are sent as image_url with a plain string", async () => {
    fake.answer(() => ({ text: ["A cat."], usage: { prompt_tokens: 300, completion_tokens: 3 } }));
    const res = await svc.post({
      model: MODEL,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image", url: "https://example.com/cat.png" },
            { type: "image", url: "data:image/png;base64,iVBORw0KGgo=" },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(fake.requests[0]!.body.messages[0].content).toEqual([
      { type: "text", text: "What is this?" },
      { type: "image_url", image_url: "https://example.com/cat.png" },
      { type: "image_url", image_url: "data:image/png;base64,iVBORw0KGgo=" },
    ]);
  });

  test("Magistral thinking in a JSON answer is left out of the text", async () => {
    fake.answer(() => ({ thinking: ["Let me think."], text: ["4"], usage: { prompt_tokens: 5, completion_tokens: 12 } }));
    const body: any = await (await svc.post({ model: MODEL, messages: user })).json();
    expect(body.outputText).toBe("4");
    expect(body.usage).toMatchObject({ inputTokens: 5, outputTokens: 12 });
  });

  test("configured headers reach Mistral on every call", async () => {
    await withService(
      { mapping: singleTargetMapping({ type: "mistral", apiKey: "mk-test", baseUrl: fake.url, headers: { "x-team": "search" } }) },
      async (withHeaders) => {
        fake.answer(() => ({ text: ["ok"], usage: { prompt_tokens: 1, completion_tokens: 1 } }));
        for (const stream of [false, true]) expect((await withHeaders.post({ model: "m", messages: user, stream })).status).toBe(200);
        expect(fake.requests.map((r) => r.headers["x-team"])).toEqual(["search", "search"]);
      },
    );
  });

  test("a seed that is not an integer is refused before calling Mistral", async () => {
    const res = await svc.post({ model: MODEL, messages: user, seed: 1.5 });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "invalid_request", details: [{ field: "seed" }] });
    expect(fake.requests.length).toBe(0);
  });
});

describe("mistral: upstream errors map to the contract", () => {
  const cases: [string, () => ReturnType<typeof mistralError>, number, string, string?][] = [
    [
      "context too long",
      () =>
        mistralError(
          400,
          "Prompt contains 40960 tokens and 0 draft tokens, too large for model with 32768 maximum context length",
          "invalid_request_error",
          "3051",
        ),
      400,
      "upstream_invalid_request",
      "too large for model",
    ],
    [
      "validation (detail)",
      () => mistralValidationError(["body", "messages", 0, "content"], "Field required", "missing"),
      400,
      "upstream_invalid_request",
      "messages.0.content: Field required",
    ],
    [
      "validation (flat, message holding detail)",
      () => ({
        status: 422,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          object: "error",
          message: {
            detail: [{ type: "less_than_equal", loc: ["body", "temperature"], msg: "Input should be less than or equal to 1.5", input: 2 }],
          },
          type: "invalid_request_error",
          param: null,
          code: null,
        }),
      }),
      400,
      "upstream_invalid_request",
      "temperature: Input should be less than or equal to 1.5",
    ],
    [
      "bad key",
      () => ({ status: 401, headers: { "content-type": "application/json" }, body: '{"message":"Unauthorized","request_id":"mk-leak-1"}' }),
      502,
      "upstream_error",
    ],
    ["forbidden", () => mistralError(403, "You do not have access to this model", "forbidden"), 502, "upstream_error"],
    [
      "not found",
      () => ({ status: 404, headers: { "content-type": "application/json" }, body: '{"detail":"Not Found"}' }),
      502,
      "upstream_error",
      "Not Found",
    ],
    [
      "rate limited",
      () => mistralError(429, "Requests rate limit exceeded", "rate_limited", "1300", { "retry-after": "7" }),
      429,
      "rate_limited",
    ],
    [
      "server error",
      () => mistralError(500, "Internal server error", "internal_server_error", "1000"),
      502,
      "upstream_error",
      "Internal server error",
    ],
    [
      "service unavailable, HTML from a proxy",
      () => ({ status: 503, headers: { "content-type": "text/html" }, body: "<html>503 Service Temporarily Unavailable</html>" }),
      502,
      "upstream_error",
      "503 Service Temporarily Unavailable",
    ],
    ["gateway timeout", () => mistralError(504, "Gateway timeout", "timeout"), 504, "upstream_timeout"],
  ];
  for (const [name, answer, status, code, text] of cases) {
    test(`${name} → ${status} ${code}`, async () => {
      fake.answer(answer);
      const { answers, events } = await expectUpstreamError(svc, { model: MODEL, messages: user }, { status, code, requestId: "req-7" });
      for (const { res, body } of answers) {
        expect(body.message).toContain(status === 400 ? "" : "mistral");
        if (text) expect(body.message).toContain(text);
        if (code === "rate_limited") expect(res.headers.get("retry-after")).toBe("7");
        if (name === "bad key") expect(body.message).not.toContain("mk-");
      }
      // The SDK's own retries are off: one upstream request per call.
      expect(fake.requests.length).toBe(2);
      expect(events.every((e) => e.provider === "mistral")).toBe(true);
    });
  }

  test("an unreachable upstream is a 502 naming the provider", async () => {
    const answers = await answersFromUnreachable(
      { type: "mistral", apiKey: "k", baseUrl: UNREACHABLE_URL },
      { model: "m", messages: user },
    );
    for (const { res, body } of answers) {
      expect(res.status).toBe(502);
      expect(body.message).toContain("could not reach mistral");
    }
  });

  test("a request timeout is a 504", async () => {
    await withService(
      { mapping: singleTargetMapping({ type: "mistral", apiKey: "mk-test", baseUrl: fake.url, timeoutMs: 300 }) },
      async (slow) => {
        fake.answer(() => ({ hangBeforeHeaders: true }));
        const res = await slow.post({ model: "m", messages: user, stream: true });
        expect(res.status).toBe(504);
        expect(await res.json()).toMatchObject({ code: "upstream_timeout" });
        expect(await closedWithin(fake.requests[0]!)).toBe(true);
      },
    );
  });
});
