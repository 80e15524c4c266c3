/**
 * Ollama's native chat answers → our adapter events: the NDJSON lines of a stream, or the one
 * JSON object of `stream: false` (the same shape as a stream's final line, with everything in it).
 */
import type { AdapterEvent, FinishReason, Usage } from "../../core/events";
import { upstreamAnswerError } from "../upstream-error";
import { pushAll, type ResponseTranslator } from "../provider-runner";

export interface OllamaChatLine {
  message?: {
    role?: string;
    content?: string;
    thinking?: string;
    tool_calls?: { id?: string; function?: { index?: number; name?: string; arguments?: unknown } }[] | null;
  } | null;
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  /** A failure, mid-stream or in place of an answer. */
  error?: unknown;
}

/**
 * `done_reason` → ours. Tool calls also end in `stop`; the normalizer turns that into
 * `tool_calls` when calls were made. `load`/`unload` only answer empty load requests.
 */
export function mapOllamaDoneReason(reason: string | undefined): FinishReason {
  return reason === "length" ? "length" : "stop";
}

/**
 * Token counts of the final line. Ollama leaves a count out (rather than sending 0) when it had
 * nothing to evaluate, e.g. a prompt served whole from its cache: a missing count is left
 * unreported so it is estimated locally, since 0 would undercount what was really processed.
 */
export function ollamaUsage(line: OllamaChatLine): Partial<Usage> {
  const usage: Partial<Usage> = {};
  if (typeof line.prompt_eval_count === "number") usage.inputTokens = line.prompt_eval_count;
  if (typeof line.eval_count === "number") usage.outputTokens = line.eval_count;
  return usage;
}

/** Per-request state of one answer. */
export class OllamaLineTranslator {
  private calls = 0;
  /** Set by the final (`done: true`) line; a stream that ends without it was cut short. */
  done = false;
  /** Reused for every line: the adapter yields its contents before the next call. */
  private readonly events: AdapterEvent[] = [];

  translate(line: OllamaChatLine): AdapterEvent[] {
    if (line.error !== undefined && line.error !== null) {
      throw upstreamAnswerError("ollama", typeof line.error === "string" ? line.error : JSON.stringify(line.error));
    }
    const out = this.events;
    out.length = 0;
    const m = line.message;
    if (m) {
      if (m.thinking) out.push({ type: "reasoning", text: m.thinking });
      if (m.content) out.push({ type: "text", text: m.content });
      if (m.tool_calls) {
        // Each entry is a whole call; a later line's calls are further calls, never pieces.
        for (const c of m.tool_calls) {
          const name = c.function?.name;
          if (!name) throw upstreamAnswerError("ollama", "a tool call without a name");
          const args = c.function?.arguments;
          out.push({
            type: "tool_call",
            index: this.calls++,
            id: c.id || undefined,
            name,
            arguments: args === undefined || args === null ? "{}" : typeof args === "string" ? args : JSON.stringify(args),
          });
        }
      }
    }
    if (line.done) {
      this.done = true;
      out.push({ type: "usage", usage: ollamaUsage(line) });
      out.push({ type: "finish", reason: mapOllamaDoneReason(line.done_reason) });
    }
    return out;
  }
}

/** One request's answer for the runner: NDJSON lines when streamed, one line's object when not. */
export class OllamaResponseTranslator implements ResponseTranslator<OllamaChatLine, string> {
  private readonly lines = new OllamaLineTranslator();

  answer(line: OllamaChatLine, out: AdapterEvent[]): void {
    pushAll(out, this.lines.translate(line));
  }

  frame(line: string, out: AdapterEvent[]): void {
    pushAll(out, this.lines.translate(JSON.parse(line) as OllamaChatLine));
  }

  end(): void {
    if (!this.lines.done) throw upstreamAnswerError("ollama", "the answer ended before its final `done` line");
  }
}
