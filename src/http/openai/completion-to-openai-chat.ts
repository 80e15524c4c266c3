/** Our JSON answer as an OpenAI `chat.completion`. */
import type { FinishReason, Usage } from "../../core/events";
import type { CompletionResponse } from "../../core/response-aggregator";

export function openAIFinishReason(reason: FinishReason): string {
  // "error" never reaches a finished answer (a failure is an error body or event).
  return reason === "error" ? "stop" : reason;
}

export function openAIUsage(usage: Usage): Record<string, unknown> {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
  };
}

export function completionToOpenAIChat(response: CompletionResponse, id: string): Record<string, unknown> {
  const message: Record<string, unknown> = {
    role: "assistant",
    content: response.outputText.length > 0 || response.output.length === 0 ? response.outputText : null,
    refusal: null,
  };
  if (response.output.length > 0) {
    message.tool_calls = response.output.map((call) => ({
      id: call.id,
      type: "function",
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  return {
    id,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: response.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: openAIFinishReason(response.finishReason) }],
    usage: openAIUsage(response.usage),
  };
}
