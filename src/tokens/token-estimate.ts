/**
 * Local token counts for when a provider reports none (or a stream is cut short). Uses the
 * o200k tokenizer: exact for current OpenAI models, a close estimate for the rest.
 */
import type { CompletionRequest } from "../core/request";

type Counter = { count(text: string, longWords?: { charsLeft: number }): number };
let tokenCounter: Counter | null = null;

function counter(): Counter {
  tokenCounter ??= new (require("./o200k-counter") as typeof import("./o200k-counter")).O200kCounter();
  return tokenCounter;
}

/** Per-message framing tokens, as OpenAI's chat format adds them. */
const PER_MESSAGE = 3;

/**
 * How much of one estimate (a request's input, or an answer's output) is counted exactly. Counting
 * runs on the event loop: ~30 ns a byte for prose, but ~300–500 ns for "words" of hundreds of
 * letters or more (a 9 MB one-word prompt took seconds and held up every other request). So:
 * the first 1 MiB of text is counted exactly, of which at most 64 Ki characters in words longer
 * than 32 characters; text and long words past those allowances are estimated from their size.
 * Worst case, ~60 ms of counting per estimate.
 */
export const EXACT_COUNT_BYTES = 1024 * 1024;
const EXACT_LONG_WORD_CHARS = 64 * 1024;
/**
 * Text beyond the exact part is estimated from its UTF-8 size: one token per 2 bytes. o200k
 * tokens run from 1 byte to dozens (English prose ~4, CJK ~4, base64 ~1.5), so this part is at
 * least half its exact count for any text (all 1-byte tokens) and about twice it for prose: it
 * errs towards counting more.
 */
const BYTES_PER_ESTIMATED_TOKEN = 2;

/** What is left of one estimate's exact-counting allowances. */
class CountBudget {
  exactBytesLeft = EXACT_COUNT_BYTES;
  readonly longWords = { charsLeft: EXACT_LONG_WORD_CHARS };
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(0);

function countWithin(text: string, budget: CountBudget): number {
  if (text.length === 0) return 0;
  const bytes = Buffer.byteLength(text);
  if (bytes <= budget.exactBytesLeft) {
    budget.exactBytesLeft -= bytes;
    return exactCount(text, budget);
  }
  if (scratch.length < budget.exactBytesLeft) scratch = new Uint8Array(budget.exactBytesLeft);
  // Whole characters that fit in what is left of the allowance, counted exactly; the rest estimated.
  const { read, written } = encoder.encodeInto(text, scratch.subarray(0, budget.exactBytesLeft));
  budget.exactBytesLeft -= written;
  const restBytes = bytes - written;
  return (read > 0 ? exactCount(text.slice(0, read), budget) : 0) + Math.ceil(restBytes / BYTES_PER_ESTIMATED_TOKEN);
}

function exactCount(text: string, budget: CountBudget): number {
  try {
    return counter().count(text, budget.longWords);
  } catch {
    // Never expected; but an estimate must not fail the accounting: ~4 characters a token.
    return Math.ceil(text.length / 4);
  }
}

/** Tokens of one text: exact within the allowances above, estimated from its size beyond. */
export function estimateTextTokens(text: string): number {
  return countWithin(text, new CountBudget());
}

/** Tokens of a request's input; one allowance of exact counting for all its texts. */
export function estimateInputTokens(request: CompletionRequest): number {
  const budget = new CountBudget();
  let total = 3;
  for (const m of request.messages) {
    total += PER_MESSAGE;
    if (typeof m.content === "string") total += countWithin(m.content, budget);
    else if (Array.isArray(m.content)) {
      for (const p of m.content) total += p.type === "text" ? countWithin(p.text, budget) : 85;
    }
    if (m.role === "assistant" && m.toolCalls) {
      for (const c of m.toolCalls) total += countWithin(c.name, budget) + countWithin(c.arguments, budget) + 3;
    }
  }
  if (request.tools?.length) total += countWithin(JSON.stringify(request.tools), budget);
  return total;
}
