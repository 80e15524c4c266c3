/**
 * `remote_completion`: any OpenAI-compatible chat-completions endpoint. It speaks plain OpenAI
 * (the parameters every compatible server knows) and reads answers defensively: usage missing
 * (estimated) or on any chunk, no `[DONE]`, comment lines, CRLF framing, whole tool calls.
 */
import OpenAI from "openai";
import type { ProviderConfig } from "../../config/mapping";
import { createOpenAICompatibleAdapter, openAIClientOptions, optionalBearerKey } from "../openai-compatible/openai-compatible-adapter";
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

export function createRemoteCompletionAdapter(config: ProviderConfig): ProviderAdapter {
  if (!config.baseUrl) throw new Error("baseUrl is required");
  const client = new OpenAI({ baseURL: config.baseUrl, ...openAIClientOptions(config), ...optionalBearerKey(config) });
  return createOpenAICompatibleAdapter({ dialect: REMOTE_COMPLETION_DIALECT, client });
}
