/**
 * Translators on recorded streams (test/providers/fixtures/*.chunks.txt, the bytes as the
 * provider sends them): decoded by our wire readers, translated to our events.
 */
import { describe, expect, test } from "bun:test";
import type { AdapterEvent } from "../../src/core/events";
import { AnthropicResponseTranslator, type AnthropicStreamEventLike } from "../../src/providers/anthropic/anthropic-response-to-events";
import { OllamaResponseTranslator } from "../../src/providers/ollama/ollama-lines-to-events";
import { openAIStreamReads } from "../../src/providers/openai-compatible/openai-compatible-adapter";
import { OpenAIStreamTranslator } from "../../src/providers/openai-compatible/openai-chunks-to-events";
import { ndjsonLineBatches } from "../../src/providers/wire/ndjson-lines";
import { SseParser, type SseMessage } from "../../src/providers/wire/sse-parser";

const fixture = (name: string) => Bun.file(`${import.meta.dir}/fixtures/${name}.chunks.txt`).text();
const never = new AbortController().signal;

async function openAIEvents(name: string): Promise<AdapterEvent[]> {
  const translator = new OpenAIStreamTranslator();
  const events: AdapterEvent[] = [];
  for await (const chunks of openAIStreamReads(new Response(await fixture(name)), never)) {
    for (const chunk of chunks) events.push(...translator.translate(chunk));
  }
  return events;
}

describe("OpenAI-family streams", () => {
  test("openai: a tool call in fragments, its finish, and usage on the chunk before [DONE]", async () => {
    expect(await openAIEvents("openai-tool-call")).toEqual([
      { type: "tool_call", index: 0, id: "call_abc", name: "get_weather", arguments: "" },
      { type: "tool_call", index: 0, id: undefined, name: undefined, arguments: '{"city":' },
      { type: "tool_call", index: 0, id: undefined, name: undefined, arguments: '"Paris"}' },
      { type: "finish", reason: "tool_calls" },
      { type: "usage", usage: { inputTokens: 42, outputTokens: 7, cachedInputTokens: 10, reasoningTokens: 0 } },
    ]);
  });

  test("vllm: reasoning in reasoning_content, usage on every chunk (running totals)", async () => {
    const events = await openAIEvents("vllm-reasoning");
    expect(events.filter((e) => e.type !== "usage")).toEqual([
      { type: "reasoning", text: "The user greets." },
      { type: "text", text: "Hello" },
      { type: "text", text: "!" },
      { type: "finish", reason: "stop" },
    ]);
    expect(events.filter((e) => e.type === "usage").at(-1)).toEqual({ type: "usage", usage: { inputTokens: 12, outputTokens: 6 } });
  });
});

describe("Anthropic streams", () => {
  test("text blocks, pings skipped, usage split over message_start and message_delta", async () => {
    const messages: SseMessage[] = [];
    new SseParser(1 << 20, "anthropic").feed(await fixture("anthropic-text"), messages);
    const translator = new AnthropicResponseTranslator("anthropic", null);
    const out: AdapterEvent[] = [];
    for (const m of messages) translator.frame(JSON.parse(m.data) as AnthropicStreamEventLike, out);
    expect(out.filter((e) => e.type === "text")).toEqual([
      { type: "text", text: "Hello" },
      { type: "text", text: " there" },
    ]);
    expect(out.filter((e) => e.type === "finish")).toEqual([{ type: "finish", reason: "stop" }]);
    const usage = out.filter((e) => e.type === "usage").at(-1);
    expect(usage).toMatchObject({ type: "usage", usage: { outputTokens: 8, cachedInputTokens: 10 } });
  });
});

describe("Ollama streams", () => {
  async function ollamaEvents(text: string): Promise<{ events: AdapterEvent[]; translator: OllamaResponseTranslator }> {
    const translator = new OllamaResponseTranslator();
    const events: AdapterEvent[] = [];
    for await (const lines of ndjsonLineBatches(new Response(text).body!)) for (const line of lines) translator.frame(line, events);
    return { events, translator };
  }

  test("NDJSON lines to text, then usage and finish from the done line", async () => {
    const { events, translator } = await ollamaEvents(await fixture("ollama-text"));
    expect(events).toEqual([
      { type: "text", text: "Hel" },
      { type: "text", text: "lo" },
      { type: "usage", usage: { inputTokens: 26, outputTokens: 3 } },
      { type: "finish", reason: "stop" },
    ]);
    expect(() => translator.end()).not.toThrow();
  });

  test("a stream cut before its done line does not end well", async () => {
    const text = (await fixture("ollama-text")).split("\n").slice(0, 2).join("\n");
    const { translator } = await ollamaEvents(text);
    expect(() => translator.end()).toThrow("ollama answer failed: the answer ended before its final `done` line");
  });
});
