/**
 * POST /v1/chat/completions driven by the official `openai` client, against models served by
 * OpenAI, Anthropic and Gemini upstreams: what the SDK returns must be what it would get from OpenAI.
 */
import { describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { anthropicError } from "../fakes/anthropic/anthropic-fake";
import { openAIError } from "../fakes/openai/openai-fake";
import { closedWithin } from "../support/provider-scenarios";
import { serviceOverThreeFamilies } from "./door-services";

const running = serviceOverThreeFamilies();
const client = () => new OpenAI({ baseURL: `${running().svc.url}/v1`, apiKey: "unused-in-public-mode", maxRetries: 0 });
const hello = [{ role: "user" as const, content: "Say hello" }];
const weatherTools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
  {
    type: "function",
    function: {
      name: "get_weather",
      description: "Weather for a city",
      parameters: { type: "object", properties: { city: { type: "string" } } },
    },
  },
  { type: "function", function: { name: "get_time", parameters: { type: "object", properties: { tz: { type: "string" } } } } },
];

describe("openai door: JSON answers", () => {
  test("text from an OpenAI upstream: a chat.completion with usage, the usage event says openai_chat", async () => {
    const { svc, openai } = running();
    openai.answer(() => ({ text: ["Hello", " there"], usage: { prompt_tokens: 12, completion_tokens: 3, cached: 4, reasoning: 1 } }));
    const completion = await client().chat.completions.create({
      model: "gpt",
      messages: hello,
      temperature: 0.2,
      max_completion_tokens: 50,
      user: "u-1",
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe("gpt");
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]!.message).toMatchObject({ role: "assistant", content: "Hello there" });
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expect(completion.usage).toEqual({
      prompt_tokens: 12,
      completion_tokens: 3,
      total_tokens: 15,
      prompt_tokens_details: { cached_tokens: 4 },
      completion_tokens_details: { reasoning_tokens: 1 },
    });
    const sent = openai.requests[0]!.body;
    expect(sent).toMatchObject({ model: "gpt-4o-mini", temperature: 0.2, messages: [{ role: "user", content: "Say hello" }] });
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({
      api: "openai_chat",
      model: "gpt",
      provider: "openai",
      status: "success",
      inputTokens: 12,
      outputTokens: 3,
      maxOutputTokens: 50,
      context: { user: "u-1" },
    });
  });

  test("an OpenAI SDK call served by Anthropic: system prompt, text, usage with cache reads", async () => {
    const { svc, anthropic } = running();
    anthropic.answer(() => ({ blocks: [{ type: "text", pieces: ["Bonjour", "!"] }], usage: { input: 20, cacheRead: 5, output: 2 } }));
    const completion = await client().chat.completions.create({
      model: "claude",
      messages: [{ role: "system", content: "Answer in French" }, ...hello],
      max_tokens: 100,
    });
    expect(completion.choices[0]!.message.content).toBe("Bonjour!");
    expect(completion.usage).toMatchObject({ prompt_tokens: 25, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 5 } });
    const sent = anthropic.requests[0]!.body;
    expect(sent).toMatchObject({ model: "claude-sonnet-4-5-20250929", max_tokens: 100, system: "Answer in French" });
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({ api: "openai_chat", provider: "anthropic", status: "success" });
  });

  test("tool calls served by Gemini come back as tool_calls with finish_reason tool_calls", async () => {
    const { google } = running();
    google.answer(() => ({
      chunks: [
        [
          { functionCall: { name: "get_weather", args: { city: "Paris" } } },
          { functionCall: { name: "get_time", args: { tz: "Europe/Paris" } } },
        ],
      ],
      usage: { prompt: 30, candidates: 10 },
    }));
    const completion = await client().chat.completions.create({
      model: "gemini",
      messages: hello,
      tools: weatherTools,
      tool_choice: "auto",
    });
    const message = completion.choices[0]!.message;
    expect(completion.choices[0]!.finish_reason).toBe("tool_calls");
    expect(message.tool_calls?.map((c) => c.type === "function" && [c.function.name, JSON.parse(c.function.arguments)])).toEqual([
      ["get_weather", { city: "Paris" }],
      ["get_time", { tz: "Europe/Paris" }],
    ]);
    expect(message.tool_calls!.every((c) => c.id.length > 0)).toBe(true);
  });

  test("a conversation with a tool call and its result, an image and a JSON schema reaches the upstream translated", async () => {
    const { openai } = running();
    openai.answer(() => ({ text: ['{"ok":true}'], usage: { prompt_tokens: 50, completion_tokens: 4 } }));
    await client().chat.completions.create({
      model: "gpt",
      messages: [
        { role: "developer", content: "Be brief" },
        {
          role: "user",
          content: [
            { type: "text", text: "What is here?" },
            { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
          ],
        },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
        },
        { role: "tool", tool_call_id: "call_1", content: "sunny" },
      ],
      tools: weatherTools,
      tool_choice: { type: "function", function: { name: "get_weather" } },
      response_format: {
        type: "json_schema",
        json_schema: { name: "answer", schema: { type: "object", properties: { ok: { type: "boolean" } } }, strict: true },
      },
      seed: 7,
      stop: ["END"],
      presence_penalty: 0.5,
      parallel_tool_calls: false,
    });
    const sent = openai.requests[0]!.body;
    expect(sent.messages).toEqual([
      { role: "developer", content: "Be brief" },
      {
        role: "user",
        content: [
          { type: "text", text: "What is here?" },
          { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
        ],
      },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
      },
      { role: "tool", tool_call_id: "call_1", content: "sunny" },
    ]);
    expect(sent.tool_choice).toEqual({ type: "function", function: { name: "get_weather" } });
    expect(sent.response_format).toMatchObject({ type: "json_schema", json_schema: { name: "answer", strict: true } });
    expect(sent).toMatchObject({ seed: 7, stop: ["END"], presence_penalty: 0.5 });
  });
});

describe("openai door: streams", () => {
  test("text streamed as chat.completion.chunk deltas, usage in a last chunk with empty choices", async () => {
    const { svc, openai } = running();
    openai.answer(() => ({ text: ["Hel", "lo", "!"], usage: { prompt_tokens: 8, completion_tokens: 3, cached: 2 } }));
    const stream = await client().chat.completions.create({
      model: "gpt",
      messages: hello,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.model === "gpt")).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("Hello!");
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe("stop");
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({
      prompt_tokens: 8,
      completion_tokens: 3,
      total_tokens: 11,
      prompt_tokens_details: { cached_tokens: 2 },
    });
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({ api: "openai_chat", stream: true, status: "success" });
  });

  test("without include_usage no usage chunk; the body ends with [DONE]", async () => {
    const { svc, anthropic } = running();
    anthropic.answer(() => ({ blocks: [{ type: "text", pieces: ["a", "b"] }], usage: { input: 3, output: 2 } }));
    const res = await fetch(`${svc.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "claude", messages: hello, stream: true }),
    });
    expect(res.headers.get("content-type")).toStartWith("text/event-stream");
    const frames = (await res.text()).split("\n\n").filter(Boolean);
    expect(frames.at(-1)).toBe("data: [DONE]");
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f.slice("data: ".length)));
    expect(chunks.some((c) => "usage" in c)).toBe(false);
    expect(chunks.at(-1).choices[0].finish_reason).toBe("stop");
  });

  test("parallel tool calls from an Anthropic upstream stream by index and accumulate in the SDK", async () => {
    const { anthropic } = running();
    anthropic.answer(() => ({
      blocks: [
        { type: "text", pieces: ["Let me check."] },
        { type: "tool_use", id: "toolu_1", name: "get_weather", argumentPieces: ['{"city":', '"Paris"}'] },
        { type: "tool_use", id: "toolu_2", name: "get_time", argumentPieces: ['{"tz":"Europe', '/Paris"}'] },
      ],
      usage: { input: 40, output: 30 },
    }));
    const runner = client().chat.completions.stream({
      model: "claude",
      messages: hello,
      tools: weatherTools,
      stream_options: { include_usage: true },
    });
    const final = await runner.finalChatCompletion();
    const choice = final.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBe("Let me check.");
    expect(choice.message.tool_calls?.map((c) => c.type === "function" && [c.id, c.function.name, c.function.arguments])).toEqual([
      ["toolu_1", "get_weather", '{"city":"Paris"}'],
      ["toolu_2", "get_time", '{"tz":"Europe/Paris"}'],
    ]);
    expect(final.usage).toMatchObject({ prompt_tokens: 40, completion_tokens: 30 });
  });

  test("a failure after the first chunk is an error the SDK raises, not a quietly ended stream", async () => {
    const { svc, openai } = running();
    openai.answer(() => ({ text: ["partial"], resetAfterContent: true }));
    const stream = await client().chat.completions.create({ model: "gpt", messages: hello, stream: true });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "");
    })().catch((e) => e);
    expect(seen.join("")).toBe("partial");
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.error).toMatchObject({ type: "server_error", code: "upstream_error" });
    expect(error.message).toContain("connection to openai lost");
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({ api: "openai_chat", status: "error", finishReason: "error" });
  });

  test("the SDK aborting mid-stream closes the upstream call and is accounted as cancelled", async () => {
    const { svc, openai } = running();
    openai.answer(() => ({ text: Array.from({ length: 50 }, (_, i) => `piece ${i} `), chunkDelayMs: 100 }));
    const controller = new AbortController();
    const stream = await client().chat.completions.create({ model: "gpt", messages: hello, stream: true }, { signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    controller.abort();
    expect(await closedWithin(openai.requests[0]!, 3000)).toBe(true);
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({ api: "openai_chat", status: "cancelled" });
    expect(svc.service.health().checks.activeStreams).toBe(0);
  });
});

test("the SDK aborting a JSON request closes the upstream call and is accounted as cancelled", async () => {
  const { svc, openai } = running();
  openai.answer(() => ({ status: 200, headers: { "content-type": "application/json" }, hangBeforeHeaders: true }));
  const controller = new AbortController();
  const pending = client()
    .chat.completions.create({ model: "gpt", messages: hello }, { signal: controller.signal })
    .catch((e) => e);
  while (openai.requests.length === 0) await Bun.sleep(10);
  controller.abort();
  expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError);
  expect(await closedWithin(openai.requests[0]!, 3000)).toBe(true);
  const [event] = await svc.sink.waitFor(1);
  expect(event).toMatchObject({ api: "openai_chat", status: "cancelled", stream: false });
});

describe("openai door: errors raise the SDK's own classes", () => {
  test("unknown model: NotFoundError with OpenAI's error body", async () => {
    const error = await client()
      .chat.completions.create({ model: "nope", messages: hello })
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error.status).toBe(404);
    expect(error.error).toMatchObject({
      message: 'model "nope" is not configured',
      type: "invalid_request_error",
      code: "model_not_found",
    });
  });

  test("upstream rate limit: RateLimitError with retry-after", async () => {
    const { anthropic } = running();
    anthropic.answer(() => anthropicError(429, "rate_limit_error", "slow down", { "retry-after": "7" }));
    const error = await client()
      .chat.completions.create({ model: "claude", messages: hello })
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.headers.get("retry-after")).toBe("7");
    expect(error.error.type).toBe("rate_limit_error");
  });

  test("fields with no counterpart: BadRequestError naming them", async () => {
    const error = await client()
      .chat.completions.create({ model: "gpt", messages: hello, n: 2, logprobs: true })
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.message).toContain("n: only one choice per request is supported");
    expect(error.message).toContain("logprobs");
    expect(running().openai.requests).toHaveLength(0);
  });

  test("values out of range are refused in OpenAI's field names", async () => {
    const error = await client()
      .chat.completions.create({ model: "gpt", messages: hello, top_p: 3 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.error.param).toBe("top_p");
  });

  test("upstream failure: a 5xx the SDK raises as InternalServerError, not a connection error", async () => {
    const { openai } = running();
    openai.answer(() => openAIError(500, "boom", "server_error"));
    const error = await client()
      .chat.completions.create({ model: "gpt", messages: hello })
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error.status).toBe(502);
    expect(error.error.type).toBe("server_error");
  });

  test("a stream that fails before its first byte is an HTTP error, raised by create()", async () => {
    const { openai } = running();
    openai.answer(() => openAIError(429, "slow down", "requests", "rate_limit_exceeded", { "retry-after": "2" }));
    const error = await client()
      .chat.completions.create({ model: "gpt", messages: hello, stream: true })
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.headers.get("retry-after")).toBe("2");
  });

  test("malformed JSON: 400 in OpenAI's shape", async () => {
    const res = await fetch(`${running().svc.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: "invalid_request_error", code: "invalid_request" } });
  });
});
