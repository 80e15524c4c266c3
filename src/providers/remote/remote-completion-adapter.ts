/**
 * `remote_completion`: any OpenAI-compatible chat-completions endpoint. It speaks plain OpenAI
 * (the parameters every compatible server knows) and reads answers defensively: usage missing
 * (estimated) or on any chunk, no `[DONE]`, comment lines, CRLF framing, whole tool calls.
 */
import type { RemoteCompletionConfig } from "./remote-completion-provider";
import { createBaseUrlAdapter } from "../openai-compatible/openai-compatible-adapter";
import type { OpenAIDialect } from "../openai-compatible/openai-dialect";
import type { ProviderAdapter } from "../provider-adapter";

export const REMOTE_COMPLETION_DIALECT: OpenAIDialect = {
  type: "remote_completion",
  // `max_tokens` is the field compatible servers share; `max_completion_tokens` is newer.
  maxTokensField: "max_tokens",
  topK: false,
  penaltiesAndSeed: true,
  streamUsageOption: true,
  responseFormats: ["text", "json_object", "json_schema"],
  reasoningEffort: true,
  isReasoningModel: () => false,
};

export function createRemoteCompletionAdapter(config: RemoteCompletionConfig): ProviderAdapter {
  return createBaseUrlAdapter(config, REMOTE_COMPLETION_DIALECT);
}
