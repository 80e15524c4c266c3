/**
 * The Vercel AI SDK (`ai`) through both front doors: `@ai-sdk/openai-compatible` against
 * /v1/chat/completions and `@ai-sdk/anthropic` against /v1/messages, with models served by
 * other provider families than the one each client was written for.
 */
import { describe, expect, test } from "bun:test";
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { APICallError, generateText, jsonSchema, streamText, tool } from "ai";
import { serviceOverThreeFamilies } from "./door-services";

const running = serviceOverThreeFamilies();
const compatible = () =>
  createOpenAICompatible({ name: "gateway", baseURL: `${running().svc.url}/v1`, apiKey: "unused", includeUsage: true });
const anthropic = () => createAnthropic({ baseURL: `${running().svc.url}/v1`, apiKey: "unused" });
const tools = {
  get_weather: tool({
    description: "Weather for a city",
    inputSchema: jsonSchema<{ city: string }>({ type: "object", properties: { city: { type: "string" } }, required: ["city"] }),
  }),
};

describe("@ai-sdk/openai-compatible", () => {
  test("generateText served by Anthropic: text and usage", async () => {
    const { svc, anthropic: fake } = running();
    fake.answer(() => ({ blocks: [{ type: "text", pieces: ["Hello", " world"] }], usage: { input: 11, cacheRead: 2, output: 2 } }));
    const result = await generateText({ model: compatible()("claude"), prompt: "Say hello", maxRetries: 0 });
    expect(result.text).toBe("Hello world");
    expect(result.finishReason).toBe("stop");
    expect(result.usage).toMatchObject({ inputTokens: 13, outputTokens: 2 });
    expect(result.usage.inputTokenDetails.cacheReadTokens).toBe(2);
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({ api: "openai_chat", provider: "anthropic", status: "success" });
  });

  test("streamText served by Gemini: the text streams, usage arrives", async () => {
    const { google } = running();
    google.answer(() => ({ text: ["One ", "two ", "three"], usage: { prompt: 5, candidates: 3 } }));
    const result = streamText({ model: compatible()("gemini"), prompt: "Count", maxRetries: 0 });
    let text = "";
    for await (const piece of result.textStream) text += piece;
    expect(text).toBe("One two three");
    expect(await result.usage).toMatchObject({ inputTokens: 5, outputTokens: 3 });
  });

  test("streamed tool calls served by OpenAI become the SDK's tool calls", async () => {
    const { openai } = running();
    openai.answer(() => ({
      toolCalls: [{ id: "call_1", name: "get_weather", argumentPieces: ['{"city"', ':"Rome"}'] }],
      finishReason: "tool_calls",
      usage: { prompt_tokens: 20, completion_tokens: 8 },
    }));
    const result = streamText({ model: compatible()("gpt"), prompt: "Weather in Rome?", tools, maxRetries: 0 });
    const calls = await result.toolCalls;
    expect(calls.map((c) => [c.toolCallId, c.toolName, c.input])).toEqual([["call_1", "get_weather", { city: "Rome" }]]);
    expect(await result.finishReason).toBe("tool-calls");
  });

  test("an unknown model is an APICallError with status 404", async () => {
    const error = await generateText({ model: compatible()("nope"), prompt: "hi", maxRetries: 0 }).catch((e) => e);
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error.statusCode).toBe(404);
  });
});

describe("@ai-sdk/anthropic", () => {
  test("generateText served by OpenAI: text and usage", async () => {
    const { svc, openai } = running();
    openai.answer(() => ({ text: ["Ciao"], usage: { prompt_tokens: 9, completion_tokens: 1 } }));
    const result = await generateText({ model: anthropic()("gpt"), prompt: "Say hello in Italian", maxOutputTokens: 100, maxRetries: 0 });
    expect(result.text).toBe("Ciao");
    expect(result.usage).toMatchObject({ inputTokens: 9, outputTokens: 1 });
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({ api: "anthropic_messages", provider: "openai", status: "success" });
  });

  test("streamText with a tool served by Gemini: text and the tool call", async () => {
    const { google } = running();
    google.answer(() => ({
      chunks: [[{ text: "Checking. " }], [{ functionCall: { name: "get_weather", args: { city: "Lima" } } }]],
      usage: { prompt: 12, candidates: 6 },
    }));
    const result = streamText({ model: anthropic()("gemini"), prompt: "Weather in Lima?", tools, maxOutputTokens: 100, maxRetries: 0 });
    expect(await result.text).toBe("Checking. ");
    const calls = await result.toolCalls;
    expect(calls.map((c) => [c.toolName, c.input])).toEqual([["get_weather", { city: "Lima" }]]);
    expect(await result.usage).toMatchObject({ inputTokens: 12, outputTokens: 6 });
  });

  test("an upstream rate limit is an APICallError with status 429, retryable", async () => {
    const { anthropic: fake } = running();
    fake.answer(() => ({
      status: 429,
      headers: { "content-type": "application/json", "retry-after": "3" },
      body: JSON.stringify({ type: "error", error: { type: "rate_limit_error", message: "slow down" } }),
    }));
    const error = await generateText({ model: anthropic()("claude"), prompt: "hi", maxRetries: 0 }).catch((e) => e);
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error.statusCode).toBe(429);
    expect(error.isRetryable).toBe(true);
    expect(error.responseHeaders["retry-after"]).toBe("3");
  });
});
