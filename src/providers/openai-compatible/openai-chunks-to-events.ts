/**
 * OpenAI-family responses → our adapter events. Written for the whole family's quirks
 * (docs/providers-openai-compatible.md, Quirks handled): usage in any chunk (keep the last), `choices: []` chunks
 * that carry no usage (Azure filter results), tool calls keyed by `index`, else by `id`, else by
 * array position, whole calls in one chunk, reasoning in `reasoning_content` / `reasoning`, a
 * finish reason on a chunk that also carries content, legacy `choices[].text` chunks, and an
 * error sent as a flat `{"object":"error",…}` chunk (older vLLM).
 */
import type { AdapterEvent, Usage } from "../../core/events";
import { mapOpenAIFinishReason } from "./map-openai-finish-reason";
// A string, or an array of parts as Mistral's compatible endpoint sends for its reasoning models.
import { mistralContentToEvents } from "../mistral/mistral-content-to-events";

/** The fields we read, loosely typed: compatible servers differ from OpenAI's own types. */
export interface OpenAIUsageLike {
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
  /** DeepSeek-style cache hits. */
  prompt_cache_hit_tokens?: number | null;
}

interface ToolCallDeltaLike {
  index?: number;
  id?: string | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}

interface DeltaLike {
  content?: string | null | unknown[];
  reasoning_content?: string | null;
  reasoning?: string | null;
  refusal?: string | null;
  tool_calls?: ToolCallDeltaLike[] | null;
}

export interface OpenAIChunkLike {
  /** `"error"` on a flat error chunk, whose text is in `message`. */
  object?: string;
  message?: unknown;
  choices?: { index?: number; delta?: DeltaLike | null; finish_reason?: string | null; text?: string | null }[] | null;
  usage?: OpenAIUsageLike | null;
}

export interface OpenAICompletionLike {
  choices?:
    | {
        message?: {
          content?: string | null | unknown[];
          reasoning_content?: string | null;
          reasoning?: string | null;
          refusal?: string | null;
          tool_calls?: { id?: string | null; function?: { name?: string | null; arguments?: string | null } | null }[] | null;
        } | null;
        text?: string | null;
        finish_reason?: string | null;
      }[]
    | null;
  usage?: OpenAIUsageLike | null;
}

export function openAIUsage(u: OpenAIUsageLike): Partial<Usage> {
  const usage: Partial<Usage> = {};
  if (typeof u.prompt_tokens === "number") usage.inputTokens = u.prompt_tokens;
  if (typeof u.completion_tokens === "number") usage.outputTokens = u.completion_tokens;
  const cached = u.prompt_tokens_details?.cached_tokens ?? u.prompt_cache_hit_tokens;
  if (typeof cached === "number") usage.cachedInputTokens = cached;
  const reasoning = u.completion_tokens_details?.reasoning_tokens;
  if (typeof reasoning === "number") usage.reasoningTokens = reasoning;
  return usage;
}

/** An error the upstream sent inside a 200 stream as a chunk of its own. */
export class UpstreamStreamChunkError extends Error {
  override readonly name = "UpstreamStreamChunkError";
}

/** Per-request translation state for a stream. */
export class OpenAIStreamTranslator {
  /** Reused for every chunk: the adapter yields its contents before the next call. */
  private readonly events: AdapterEvent[] = [];
  /** Calls that came without `index`, by id (created only for such servers). */
  private indexById: Map<string, number> | null = null;

  translate(chunk: OpenAIChunkLike): AdapterEvent[] {
    const out = this.events;
    out.length = 0;
    if (chunk.object === "error") {
      throw new UpstreamStreamChunkError(typeof chunk.message === "string" ? chunk.message : JSON.stringify(chunk));
    }
    const choice = chunk.choices?.[0];
    if (choice) {
      const delta = choice.delta;
      if (delta) {
        const reasoning = delta.reasoning_content ?? delta.reasoning;
        if (reasoning) out.push({ type: "reasoning", text: reasoning });
        mistralContentToEvents(delta.content, out);
        if (delta.refusal) out.push({ type: "text", text: delta.refusal });
        const calls = delta.tool_calls;
        if (calls) {
          for (let i = 0; i < calls.length; i++) {
            const c = calls[i]!;
            out.push({
              type: "tool_call",
              index: typeof c.index === "number" ? c.index : this.indexWithoutIndex(c.id, i),
              id: c.id ?? undefined,
              name: c.function?.name ?? undefined,
              arguments: c.function?.arguments ?? undefined,
            });
          }
        }
      } else if (typeof choice.text === "string" && choice.text) {
        out.push({ type: "text", text: choice.text }); // legacy completions chunk
      }
      const finish = mapOpenAIFinishReason(choice.finish_reason);
      if (finish) out.push({ type: "finish", reason: finish });
    }
    if (chunk.usage) out.push({ type: "usage", usage: openAIUsage(chunk.usage) });
    return out;
  }

  /**
   * A call sent without `index` (whole calls, Mistral-style): a new id is a new call even at the
   * same array position of a later chunk; a fragment without id belongs to its position.
   */
  private indexWithoutIndex(id: string | null | undefined, position: number): number {
    if (!id) return position;
    const byId = (this.indexById ??= new Map());
    let index = byId.get(id);
    if (index === undefined) {
      index = Math.max(position, byId.size);
      byId.set(id, index);
    }
    return index;
  }
}

export function openAICompletionToEvents(completion: OpenAICompletionLike): AdapterEvent[] {
  const out: AdapterEvent[] = [];
  const choice = completion.choices?.[0];
  if (choice) {
    const m = choice.message;
    if (m) {
      const reasoning = m.reasoning_content ?? m.reasoning;
      if (reasoning) out.push({ type: "reasoning", text: reasoning });
      mistralContentToEvents(m.content, out);
      if (m.refusal) out.push({ type: "text", text: m.refusal });
      m.tool_calls?.forEach((c, i) => {
        out.push({
          type: "tool_call",
          index: i,
          id: c.id ?? undefined,
          name: c.function?.name ?? undefined,
          arguments: c.function?.arguments ?? "",
        });
      });
    } else if (typeof choice.text === "string") {
      out.push({ type: "text", text: choice.text });
    }
    out.push({ type: "finish", reason: mapOpenAIFinishReason(choice.finish_reason) ?? "stop" });
  }
  if (completion.usage) out.push({ type: "usage", usage: openAIUsage(completion.usage) });
  return out;
}
