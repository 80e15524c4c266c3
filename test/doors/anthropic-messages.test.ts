/**
 * POST /v1/messages driven by the official `@anthropic-ai/sdk` client, against models served by
 * OpenAI, Anthropic and Gemini upstreams: what the SDK builds must be what it would get from Anthropic.
 */
import { describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { openAIError } from "../fakes/openai/openai-fake";
import { googleError } from "../fakes/google/google-fake";
import { closedWithin } from "../support/provider-scenarios";
import { serviceOverThreeFamilies } from "./door-services";

const running = serviceOverThreeFamilies();
const client = () => new Anthropic({ baseURL: running().svc.url, apiKey: "unused-in-public-mode", maxRetries: 0 });
const hello: Anthropic.MessageParam[] = [{ role: "user", content: "Say hello" }];
const weatherTools: Anthropic.Tool[] = [
  { name: "get_weather", description: "Weather for a city", input_schema: { type: "object", properties: { city: { type: "string" } } } },
  { name: "get_time", input_schema: { type: "object", properties: { tz: { type: "string" } } } },
];

describe("anthropic door: JSON answers", () => {
  test("an Anthropic SDK call served by OpenAI: a message with text, stop_reason and usage; the usage event says anthropic_messages", async () => {
    const { svc, openai } = running();
    openai.answer(() => ({ text: ["Hello", " there"], usage: { prompt_tokens: 12, completion_tokens: 3, cached: 4 } }));
    const message = await client().messages.create({
      model: "gpt",
      max_tokens: 64,
      system: "Be kind",
      messages: hello,
      metadata: { user_id: "u-9" },
    });
    expect(message).toMatchObject({ type: "message", role: "assistant", model: "gpt", stop_reason: "end_turn", stop_sequence: null });
    expect(message.content).toEqual([{ type: "text", text: "Hello there" }] as unknown as Anthropic.ContentBlock[]);
    expect(message.usage).toMatchObject({ input_tokens: 8, cache_read_input_tokens: 4, output_tokens: 3 });
    expect(openai.requests[0]!.body).toMatchObject({
      model: "gpt-4o-mini",
      max_completion_tokens: 64,
      messages: [
        { role: "system", content: "Be kind" },
        { role: "user", content: "Say hello" },
      ],
    });
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({
      api: "anthropic_messages",
      provider: "openai",
      status: "success",
      maxOutputTokens: 64,
      context: { user: "u-9" },
    });
  });

  test("tool calls served by Gemini: tool_use blocks with parsed input, stop_reason tool_use", async () => {
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
    const message = await client().messages.create({
      model: "gemini",
      max_tokens: 100,
      messages: hello,
      tools: weatherTools,
      tool_choice: { type: "any" },
    });
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content.map((b) => b.type === "tool_use" && [b.name, b.input])).toEqual([
      ["get_weather", { city: "Paris" }],
      ["get_time", { tz: "Europe/Paris" }],
    ]);
    expect(google.requests[0]!.body.toolConfig).toEqual({ functionCallingConfig: { mode: "ANY" } });
  });

  test("a conversation with tool_use, tool_result, an image and system blocks reaches an Anthropic upstream intact", async () => {
    const { anthropic } = running();
    anthropic.answer(() => ({ blocks: [{ type: "text", pieces: ["It is sunny."] }], usage: { input: 50, output: 4 } }));
    await client().messages.create({
      model: "claude",
      max_tokens: 200,
      system: [{ type: "text", text: "You are a weather bot.", cache_control: { type: "ephemeral" } }],
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Weather here?" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
          ],
        },
        {
          role: "assistant",
          content: [
            { type: "text", text: "Checking." },
            { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
          ],
        },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "sunny" }] },
      ],
      tools: weatherTools,
      stop_sequences: ["END"],
      top_k: 5, // not in this SDK version's types; the API still takes it
      temperature: 0.3,
    } as Anthropic.MessageCreateParamsNonStreaming);
    const sent = anthropic.requests[0]!.body;
    expect(sent).toMatchObject({
      model: "claude-sonnet-4-5-20250929",
      max_tokens: 200,
      system: "You are a weather bot.",
      stop_sequences: ["END"],
      top_k: 5,
      temperature: 0.3,
    });
    expect(sent.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "Weather here?" },
          { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Checking." },
          { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
        ],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "sunny" }] },
    ]);
  });
});

describe("anthropic door: streams", () => {
  test("the SSE sequence the SDK expects, text then parallel tool calls, usage in message_delta", async () => {
    const { svc, openai } = running();
    openai.answer(() => ({
      text: ["Let me ", "check."],
      toolCalls: [
        { id: "call_a", name: "get_weather", argumentPieces: ['{"city":', '"Paris"}'] },
        { id: "call_b", name: "get_time", argumentPieces: ['{"tz":"UTC"}'] },
      ],
      finishReason: "tool_calls",
      usage: { prompt_tokens: 40, completion_tokens: 20, cached: 10 },
    }));
    const stream = await client().messages.create({ model: "gpt", max_tokens: 100, messages: hello, tools: weatherTools, stream: true });
    const events: Anthropic.RawMessageStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events.map((e) => e.type)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    const deltas = events.filter((e) => e.type === "message_delta");
    expect(deltas[0]).toMatchObject({
      delta: { stop_reason: "tool_use" },
      usage: { input_tokens: 30, cache_read_input_tokens: 10, output_tokens: 20 },
    });
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({ api: "anthropic_messages", stream: true, status: "success" });
  });

  test("messages.stream builds the final message: text and tool_use blocks with parsed input, usage", async () => {
    const { anthropic } = running();
    anthropic.answer(() => ({
      blocks: [
        { type: "text", pieces: ["On it."] },
        { type: "tool_use", id: "toolu_9", name: "get_weather", argumentPieces: ['{"city":', '"Oslo"}'] },
      ],
      usage: { input: 20, cacheRead: 6, output: 9 },
    }));
    const final = await client().messages.stream({ model: "claude", max_tokens: 100, messages: hello, tools: weatherTools }).finalMessage();
    expect(final.content as unknown).toEqual([
      { type: "text", text: "On it." },
      { type: "tool_use", id: "toolu_9", name: "get_weather", input: { city: "Oslo" } },
    ]);
    expect(final.stop_reason).toBe("tool_use");
    expect(final.usage).toMatchObject({ input_tokens: 20, cache_read_input_tokens: 6, output_tokens: 9 });
  });

  test("a ping follows message_start on the wire", async () => {
    const { svc, google } = running();
    google.answer(() => ({ text: ["Hi"], usage: { prompt: 3, candidates: 1 } }));
    const res = await fetch(`${svc.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gemini", max_tokens: 10, messages: hello, stream: true }),
    });
    expect(res.headers.get("content-type")).toStartWith("text/event-stream");
    const names = (await res.text())
      .split("\n\n")
      .filter(Boolean)
      .map((f) => f.split("\n")[0]);
    expect(names.slice(0, 2)).toEqual(["event: message_start", "event: ping"]);
    expect(names.at(-1)).toBe("event: message_stop");
  });

  test("a failure after the first chunk is an error event the SDK raises", async () => {
    const { svc, openai } = running();
    openai.answer(() => ({ text: ["partial"], resetAfterContent: true }));
    const stream = await client().messages.create({ model: "gpt", max_tokens: 50, messages: hello, stream: true });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const event of stream)
        if (event.type === "content_block_delta" && event.delta.type === "text_delta") seen.push(event.delta.text);
    })().catch((e) => e);
    expect(seen.join("")).toBe("partial");
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error.error).toMatchObject({ type: "error", error: { type: "api_error" } });
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({ api: "anthropic_messages", status: "error" });
  });

  test("the SDK aborting mid-stream closes the upstream call and is accounted as cancelled", async () => {
    const { svc, google } = running();
    google.answer(() => ({ text: Array.from({ length: 50 }, (_, i) => `piece ${i} `), chunkDelayMs: 100 }));
    const stream = client().messages.stream({ model: "gemini", max_tokens: 500, messages: hello });
    const done = stream.done().catch((e) => e);
    await new Promise<void>((resolve) => stream.on("text", () => resolve()));
    stream.abort();
    expect(await done).toBeInstanceOf(Anthropic.APIUserAbortError);
    expect(await closedWithin(google.requests[0]!, 3000)).toBe(true);
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({ api: "anthropic_messages", status: "cancelled" });
  });
});

describe("anthropic door: errors raise the SDK's own classes", () => {
  test("unknown model: NotFoundError with Anthropic's error body", async () => {
    const error = await client()
      .messages.create({ model: "nope", max_tokens: 5, messages: hello })
      .catch((e) => e);
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect(error.error).toMatchObject({ type: "error", error: { type: "not_found_error", message: 'model "nope" is not configured' } });
    expect(error.requestID).toBeTruthy();
  });

  test("upstream rate limit: RateLimitError with retry-after", async () => {
    const { openai } = running();
    openai.answer(() => openAIError(429, "slow down", "requests", "rate_limit_exceeded", { "retry-after": "9" }));
    const error = await client()
      .messages.create({ model: "gpt", max_tokens: 5, messages: hello })
      .catch((e) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(error.headers.get("retry-after")).toBe("9");
    expect(error.error.error.type).toBe("rate_limit_error");
  });

  test("missing max_tokens and fields with no counterpart: BadRequestError naming them", async () => {
    const error = await client()
      .messages.create({ model: "gpt", messages: hello, mcp_servers: [] } as unknown as Anthropic.MessageCreateParamsNonStreaming)
      .catch((e) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error.error.error.type).toBe("invalid_request_error");
    expect(error.message).toContain("max_tokens: is required");
    expect(error.message).toContain("mcp_servers: is not supported");
  });

  test("blocks and tools with no counterpart are refused, nothing reaches an upstream", async () => {
    const error = await client()
      .messages.create({
        model: "claude",
        max_tokens: 10,
        messages: [{ role: "user", content: [{ type: "document", source: { type: "text", media_type: "text/plain", data: "x" } }] }],
        tools: [{ type: "web_search_20250305", name: "web_search" }],
      } as unknown as Anthropic.MessageCreateParamsNonStreaming)
      .catch((e) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error.message).toContain("messages[0].content[0]: document blocks are not supported");
    expect(error.message).toContain("tools[0]: only client tools");
    expect(running().anthropic.requests).toHaveLength(0);
  });

  test("upstream failure: a 5xx the SDK raises as InternalServerError", async () => {
    const { google } = running();
    google.answer(() => googleError(500, "INTERNAL", "boom"));
    const error = await client()
      .messages.create({ model: "gemini", max_tokens: 5, messages: hello })
      .catch((e) => e);
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect(error.status).toBe(502);
    expect(error.error.error.type).toBe("api_error");
  });
});
