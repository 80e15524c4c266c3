/**
 * Gemini `GenerateContentResponse`s (one per SSE event, or the whole answer) → our adapter events.
 *
 * Each streamed response holds only new parts; a function call arrives whole in one part, usually
 * without an id; `usageMetadata` is a running total on every chunk; the finish reason comes on the
 * last candidate chunk, and a blocked prompt comes as `promptFeedback` with no candidate at all.
 */
import type { GenerateContentResponse, GenerateContentResponseUsageMetadata } from "@google/genai";
import { GatewayError } from "../../core/errors";
import type { AdapterEvent, Usage } from "../../core/events";
import { generateToolCallId } from "../../core/stream-normalizer";
import { pushAll, type ResponseTranslator } from "../provider-runner";
import { encodeGoogleToolCallId } from "./google-tool-call-id";
import { mapGoogleFinishReason, type GoogleFinishFailure } from "./map-google-finish-reason";

/**
 * Gemini leaves zero counts out, so once it reports a prompt count the missing ones are 0.
 * Output counts thinking too: `candidatesTokenCount` excludes it.
 */
export function googleUsage(u: GenerateContentResponseUsageMetadata): Partial<Usage> | null {
  const prompt = u.promptTokenCount;
  const candidates = u.candidatesTokenCount;
  const thoughts = u.thoughtsTokenCount;
  if (prompt == null && candidates == null && thoughts == null) return null;
  const usage: Partial<Usage> = { outputTokens: (candidates ?? 0) + (thoughts ?? 0) };
  if (prompt != null) usage.inputTokens = prompt;
  if (thoughts != null) usage.reasoningTokens = thoughts;
  if (u.cachedContentTokenCount != null) usage.cachedInputTokens = u.cachedContentTokenCount;
  return usage;
}

/** Per-request translation state (tool-call numbering, whether anything was produced). */
export class GoogleResponseTranslator {
  /** Reused for every response: the adapter yields its contents before the next call. */
  private readonly events: AdapterEvent[] = [];
  private toolCalls = 0;
  /** Text or a tool call was produced: a failure now comes after part of the answer. */
  produced = false;
  /** Set when the answer ended in a failure; thrown after this response's events are yielded. */
  failure: GatewayError | null = null;
  /** Why Google refused the prompt (`SAFETY`, `PROHIBITED_CONTENT`, …), which the contract cannot carry. */
  blockReason: string | undefined;

  translate(response: GenerateContentResponse): AdapterEvent[] {
    const out = this.events;
    out.length = 0;
    const candidate = response.candidates?.[0];
    const parts = candidate?.content?.parts;
    if (parts) {
      for (const part of parts) {
        const call = part.functionCall;
        if (call) {
          this.produced = true;
          out.push({
            type: "tool_call",
            index: this.toolCalls++,
            id: encodeGoogleToolCallId(call.id || generateToolCallId(), part.thoughtSignature),
            name: call.name,
            arguments: JSON.stringify(call.args ?? {}),
          });
        } else if (typeof part.text === "string" && part.text.length > 0) {
          if (part.thought === true) out.push({ type: "reasoning", text: part.text });
          else {
            this.produced = true;
            out.push({ type: "text", text: part.text });
          }
        }
        // Other parts (inline data, code execution) need features this service does not enable.
      }
    }
    if (response.usageMetadata) {
      const usage = googleUsage(response.usageMetadata);
      if (usage) out.push({ type: "usage", usage });
    }
    if (candidate?.finishReason) {
      const finish = mapGoogleFinishReason(candidate.finishReason, this.produced);
      if ("reason" in finish) out.push({ type: "finish", reason: finish.reason });
      else this.failure = finishFailure(finish.failure, candidate.finishReason, candidate.finishMessage);
    } else if (!candidate && response.promptFeedback?.blockReason) {
      // The prompt itself was refused: an answer with nothing in it, not a crash.
      this.blockReason = response.promptFeedback.blockReason;
      out.push({ type: "finish", reason: "content_filter" });
    }
    return out;
  }
}

function finishFailure(kind: GoogleFinishFailure, raw: string, finishMessage: string | undefined): GatewayError {
  const detail = finishMessage ? `${raw}: ${finishMessage}` : raw;
  switch (kind) {
    case "model":
      return new GatewayError("upstream_error", `google could not complete the answer (${detail})`, { retryable: true });
    case "signature":
      return new GatewayError(
        "upstream_invalid_request",
        `google refused the replayed tool calls: a thought signature is missing (${detail}); send assistant tool-call ids back exactly as this service returned them`,
      );
    case "account":
      return new GatewayError("upstream_error", `google restricted the service's account (${raw})`, {
        retryable: true,
        credentialsRejected: true,
      });
  }
}

/** One request's answer for the runner: a response's failure is thrown after its events. */
export class GoogleAnswerTranslator implements ResponseTranslator<GenerateContentResponse, GenerateContentResponse> {
  readonly responses = new GoogleResponseTranslator();

  answer(response: GenerateContentResponse, out: AdapterEvent[]): void {
    this.frame(response, out);
  }

  frame(response: GenerateContentResponse, out: AdapterEvent[]): void {
    const responses = this.responses;
    pushAll(out, responses.translate(response));
    if (responses.failure) throw responses.failure;
  }

  notice(): { message: string; fields: Record<string, unknown> } | undefined {
    const blockReason = this.responses.blockReason;
    return blockReason ? { message: "google blocked the prompt", fields: { blockReason } } : undefined;
  }
}
