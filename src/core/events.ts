/**
 * The one event vocabulary of the service.
 *
 * `AdapterEvent` is what a provider adapter yields: provider-neutral fragments with no grammar
 * to respect. `ChunkEvent` is the NDJSON chunk clients get (docs/api.md); only
 * `StreamNormalizer` produces it, so the grammar is enforced in exactly one place.
 */

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "error";

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  reasoningTokens?: number;
  cachedInputTokens?: number;
}

export type AdapterEvent =
  /** A piece of answer text. Empty strings are allowed and ignored. */
  | { type: "text"; text: string }
  /** Reasoning text the provider exposed; not sent to clients, counted when usage is estimated. */
  | { type: "reasoning"; text: string }
  /**
   * A fragment of a tool call. `index` joins fragments of one call (provider order, 0-based);
   * `id` and `name` are given on the first fragment (or whole), `arguments` is the next JSON piece.
   */
  | { type: "tool_call"; index: number; id?: string; name?: string; arguments?: string }
  /** Usage as reported so far; fields given replace earlier ones (providers report running totals). */
  | { type: "usage"; usage: Partial<Usage> }
  | { type: "finish"; reason: FinishReason };

/**
 * What `ProviderAdapter.complete` yields: one event, or a batch — the events one upstream read
 * produced, taken in one step. A batch is read before the adapter is asked for more, so it may
 * reuse the array.
 */
export type AdapterYield = AdapterEvent | readonly AdapterEvent[];

export type ChunkEvent =
  | { type: "text_delta_start"; content: string }
  | { type: "text_delta"; content: string }
  | { type: "text_delta_end"; content: "" }
  | { type: "tool_call_start"; id: string; name: string }
  | { type: "tool_call_delta"; id: string; arguments: string }
  | { type: "tool_call_end"; id: string; name: string; arguments: string }
  | ({ type: "usage" } & Usage)
  | { type: "finish"; finishReason: FinishReason }
  | { type: "error"; code: string; message: string };
