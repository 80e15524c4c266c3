/**
 * Mistral's answers, as the SDK hands them over (camelCase, validated), → our adapter events.
 *
 * What the SDK does to the wire, and why this is not the OpenAI translator: it defaults a
 * missing tool-call `index` to 0 and a missing `id` to the string "null". Mistral sends whole
 * calls without `index`, so two parallel calls would both claim index 0. Calls are numbered here
 * in arrival order instead: an entry with a name starts the next call, an entry without one
 * continues the last (should Mistral ever stream arguments in pieces).
 */
import type { ChatCompletionResponse, CompletionChunk, CompletionEvent, ToolCall, UsageInfo } from "@mistralai/mistralai/models/components";
import { GatewayError } from "../../core/errors";
import type { AdapterEvent, Usage } from "../../core/events";
import type { ResponseTranslator } from "../provider-runner";
import { mistralContentToEvents } from "./mistral-content-to-events";
import { mapOpenAIFinishReason } from "../openai-compatible/map-openai-finish-reason";

export function mistralUsage(u: UsageInfo): Partial<Usage> {
  const usage: Partial<Usage> = { inputTokens: u.promptTokens, outputTokens: u.completionTokens };
  // Not in the SDK's schema; kept by its catch-all in Mistral's own spelling.
  const details = (u as { prompt_tokens_details?: { cached_tokens?: unknown } | null }).prompt_tokens_details;
  if (typeof details?.cached_tokens === "number") usage.cachedInputTokens = details.cached_tokens;
  return usage;
}

function argumentsText(args: ToolCall["function"]["arguments"]): string {
  return typeof args === "string" ? args : JSON.stringify(args);
}

function callId(id: string | undefined): string | undefined {
  return id && id !== "null" ? id : undefined;
}

/** Per-request state of one stream. */
export class MistralStreamTranslator {
  private calls = 0;
  /** Reused for every chunk: the adapter yields its contents before the next call. */
  private readonly events: AdapterEvent[] = [];

  translate(chunk: CompletionChunk): AdapterEvent[] {
    const out = this.events;
    out.length = 0;
    const choice = chunk.choices[0];
    if (choice) {
      mistralContentToEvents(choice.delta.content, out);
      const calls = choice.delta.toolCalls;
      if (calls) {
        for (const c of calls) {
          const args = argumentsText(c.function.arguments);
          if (c.function.name) {
            out.push({ type: "tool_call", index: this.calls++, id: callId(c.id), name: c.function.name, arguments: args });
          } else if (this.calls > 0 && args) {
            out.push({ type: "tool_call", index: this.calls - 1, arguments: args });
          }
        }
      }
    }
    // Usage rides on the finish chunk; report it before the finish so an `error` finish keeps it.
    if (chunk.usage) out.push({ type: "usage", usage: mistralUsage(chunk.usage) });
    const finish = mapOpenAIFinishReason(choice?.finishReason);
    if (finish) out.push({ type: "finish", reason: finish });
    return out;
  }
}

export function mistralCompletionToEvents(completion: ChatCompletionResponse): AdapterEvent[] {
  const out: AdapterEvent[] = [];
  const choice = completion.choices[0];
  if (choice?.message) {
    mistralContentToEvents(choice.message.content, out);
    choice.message.toolCalls?.forEach((c, index) => {
      out.push({ type: "tool_call", index, id: callId(c.id), name: c.function.name, arguments: argumentsText(c.function.arguments) });
    });
  }
  out.push({ type: "usage", usage: mistralUsage(completion.usage) });
  out.push({ type: "finish", reason: mapOpenAIFinishReason(choice?.finishReason) ?? "stop" });
  return out;
}

/** One request's answer for the runner. */
export class MistralResponseTranslator implements ResponseTranslator<ChatCompletionResponse, CompletionEvent> {
  private readonly stream = new MistralStreamTranslator();

  answer(completion: ChatCompletionResponse, out: AdapterEvent[]): void {
    pushChecked(mistralCompletionToEvents(completion), out);
  }

  frame(event: CompletionEvent, out: AdapterEvent[]): void {
    pushChecked(this.stream.translate(event.data), out);
  }
}

/**
 * `finish_reason: "error"` is how Mistral reports a generation that failed after it started:
 * a failure (an `error` line for a streaming client), and one routing may retry elsewhere when
 * nothing was sent yet. The events before it still go out.
 */
function pushChecked(events: readonly AdapterEvent[], out: AdapterEvent[]): void {
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    if (event.type === "finish" && event.reason === "error") {
      throw new GatewayError("upstream_error", 'mistral stopped generating with finish_reason "error"', { retryable: true });
    }
    out.push(event);
  }
}
