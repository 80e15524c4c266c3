/** `jamba`: AI21's Jamba chat completions, an OpenAI-compatible API with string-only content. */
import OpenAI from "openai";
import type { ProviderConfig } from "../../config/mapping";
import { createOpenAICompatibleAdapter, openAIClientOptions, requireApiKey } from "../openai-compatible/openai-compatible-adapter";
import type { OpenAIDialect } from "../openai-compatible/openai-dialect";
import type { ProviderAdapter } from "../provider-adapter";

export const JAMBA_BASE_URL = "https://api.ai21.com/studio/v1";

/** Usage comes on the last chunk without asking; JSON mode but no JSON schema; no images. */
export const JAMBA_DIALECT: OpenAIDialect = {
  type: "jamba",
  maxTokensField: "max_tokens",
  topK: false,
  penaltiesAndSeed: false,
  streamUsageOption: false,
  responseFormats: ["text", "json_object"],
  reasoningEffort: false,
  isReasoningModel: () => false,
  contentParts: false,
};

export function createJambaAdapter(config: ProviderConfig): ProviderAdapter {
  const client = new OpenAI({
    apiKey: requireApiKey(config),
    baseURL: config.baseUrl ?? JAMBA_BASE_URL,
    ...openAIClientOptions(config),
  });
  return createOpenAICompatibleAdapter({ dialect: JAMBA_DIALECT, client });
}
