/** `jamba`: AI21's Jamba chat completions, an OpenAI-compatible API with string-only content. */
import type { JambaConfig } from "./jamba-provider";
import { createOpenAICompatibleAdapter, requireApiKey } from "../openai-compatible/openai-compatible-adapter";
import type { OpenAIDialect } from "../openai-compatible/openai-dialect";
import { baseUrlEndpoint, bearerAuth } from "../openai-compatible/openai-endpoint";
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

export function createJambaAdapter(config: JambaConfig): ProviderAdapter {
  const endpoint = baseUrlEndpoint(config.baseUrl ?? JAMBA_BASE_URL, config, bearerAuth(requireApiKey(config)));
  return createOpenAICompatibleAdapter({ dialect: JAMBA_DIALECT, endpoint });
}
