/**
 * Local token counts for when a provider reports none (or a stream is cut short). Uses the
 * o200k tokenizer: exact for current OpenAI models, a close estimate for the rest.
 */
import type { CompletionRequest } from "./request";

type Counter = { count(text: string): number };
let tokenCounter: Counter | null = null;

/**
 * The o200k table (`./o200k-counter.ts`: ~5 MB, ~40 ms to build) is built the first time a count
 * is needed (a provider that reported no usage, a stream cut short), not at start. Special-token
 * strings (`<|endoftext|>` …) are counted as the text they are, as providers read user text.
 */
function counter(): Counter {
  tokenCounter ??= new (require("./o200k-counter") as typeof import("./o200k-counter")).O200kCounter();
  return tokenCounter;
}

/** Per-message framing tokens, as OpenAI's chat format adds them. */
const PER_MESSAGE = 3;

export function estimateTextTokens(text: string): number {
  if (text.length === 0) return 0;
  try {
    return counter().count(text);
  } catch {
    // Never expected; but an estimate must not fail the accounting: ~4 characters a token.
    return Math.ceil(text.length / 4);
  }
}

export function estimateInputTokens(request: CompletionRequest): number {
  let total = 3;
  for (const m of request.messages) {
    total += PER_MESSAGE;
    if (typeof m.content === "string") total += estimateTextTokens(m.content);
    else if (Array.isArray(m.content)) {
      for (const p of m.content) total += p.type === "text" ? estimateTextTokens(p.text) : 85;
    }
    if (m.role === "assistant" && m.toolCalls) {
      for (const c of m.toolCalls) total += estimateTextTokens(c.name) + estimateTextTokens(c.arguments) + 3;
    }
  }
  if (request.tools?.length) total += estimateTextTokens(JSON.stringify(request.tools));
  return total;
}
