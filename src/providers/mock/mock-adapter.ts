/**
 * `mock`: a built-in, deterministic provider that never reaches a network. It streams its
 * configured text in fixed-size chunks (optionally with a delay between them), calls a tool when
 * the request offers tools and allows it, and reports usage counted with the local tokenizer.
 */
import type { AdapterEvent } from "../../core/events";
import type { CompletionRequest } from "../../core/request";
import { estimateInputTokens, estimateTextTokens } from "../../tokens/token-estimate";
import type { MockProviderConfig } from "./mock-provider";
import type { ProviderAdapter, ProviderCall } from "../provider-adapter";
import { toolOffer } from "../tool-offer";

export const DEFAULT_MOCK_TEXT =
  "Hello! I am the demo model of the Completion Service. I answer every request with this same text, streamed in small chunks, so you can see the stream grammar without any provider configured.";

export function createMockAdapter(config: MockProviderConfig): ProviderAdapter {
  const text = config.text ?? DEFAULT_MOCK_TEXT;
  const chunkSize = config.chunkSize ?? 16;
  const delayMs = config.chunkDelayMs ?? 0;
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += chunkSize) chunks.push(text.slice(i, i + chunkSize));
  let outputTokens = -1; // counted on first use: the tokenizer loads lazily

  return {
    type: "mock",
    async *complete(request: CompletionRequest, call: ProviderCall): AsyncIterable<AdapterEvent> {
      const inputTokens = estimateInputTokens(request);
      if (outputTokens < 0) outputTokens = estimateTextTokens(text);
      const tool = pickTool(request);
      if (tool) {
        const args = JSON.stringify({ input: lastUserText(request) });
        yield { type: "tool_call", index: 0, id: `call_mock_${tool.length}`, name: tool, arguments: args };
        yield { type: "usage", usage: { inputTokens, outputTokens: estimateTextTokens(args) } };
        yield { type: "finish", reason: "tool_calls" };
        return;
      }
      const limit = request.maxOutputTokens;
      let produced = 0;
      for (const piece of chunks) {
        if (delayMs > 0 && request.stream) await sleep(delayMs, call.signal);
        call.signal.throwIfAborted();
        if (limit !== undefined && produced >= limit) {
          yield { type: "usage", usage: { inputTokens, outputTokens: produced } };
          yield { type: "finish", reason: "length" };
          return;
        }
        yield { type: "text", text: piece };
        produced += estimateTextTokens(piece);
      }
      yield { type: "usage", usage: { inputTokens, outputTokens } };
      yield { type: "finish", reason: "stop" };
    },
  };
}

function pickTool(request: CompletionRequest): string | null {
  const offer = toolOffer(request);
  if (!offer || offer.choice === "none") return null;
  if (typeof offer.choice === "object") return offer.choice.name;
  return offer.tools[0]!.name;
}

function lastUserText(request: CompletionRequest): string {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const m = request.messages[i]!;
    if (m.role !== "user") continue;
    if (typeof m.content === "string") return m.content;
    return m.content.map((p) => (p.type === "text" ? p.text : "")).join("");
  }
  return "";
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
