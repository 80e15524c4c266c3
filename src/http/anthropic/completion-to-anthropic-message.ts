/** Our JSON answer as an Anthropic `message`. */
import type { FinishReason, Usage } from "../../core/events";
import type { CompletionResponse } from "../../core/response-aggregator";

const STOP_REASON: Record<FinishReason, string> = {
  stop: "end_turn",
  length: "max_tokens",
  tool_calls: "tool_use",
  content_filter: "refusal",
  error: "end_turn", // never on a finished answer
};

export function anthropicStopReason(reason: FinishReason): string {
  return STOP_REASON[reason];
}

/** Anthropic counts cache reads apart from `input_tokens`; our input count includes them. */
export function anthropicUsage(usage: Usage): Record<string, number> {
  const cached = usage.cachedInputTokens ?? 0;
  return {
    input_tokens: Math.max(0, usage.inputTokens - cached),
    output_tokens: usage.outputTokens,
    cache_read_input_tokens: cached,
    cache_creation_input_tokens: 0,
  };
}

/** A tool call's arguments as the `input` object Anthropic clients expect (`{}` when the model's JSON is not an object). */
export function toolInput(args: string): unknown {
  try {
    const input = JSON.parse(args.length > 0 ? args : "{}");
    return typeof input === "object" && input !== null && !Array.isArray(input) ? input : {};
  } catch {
    return {};
  }
}

export function completionToAnthropicMessage(response: CompletionResponse, id: string): Record<string, unknown> {
  const content: unknown[] = [];
  if (response.outputText.length > 0) content.push({ type: "text", text: response.outputText });
  for (const call of response.output) content.push({ type: "tool_use", id: call.id, name: call.name, input: toolInput(call.arguments) });
  return {
    id,
    type: "message",
    role: "assistant",
    model: response.model,
    content,
    stop_reason: anthropicStopReason(response.finishReason),
    stop_sequence: null,
    usage: anthropicUsage(response.usage),
  };
}
