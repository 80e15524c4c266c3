/** `openai`: OpenAI's chat completions. */
import type { Static } from "@sinclair/typebox";
import { Type as T } from "@sinclair/typebox";
import { openAICompatibleProvider } from "../openai-compatible/openai-compatible-provider";
import { isOpenAIReasoningModel } from "../openai-compatible/openai-dialect";
import { baseUrlEndpoint, bearerAuth, requireApiKey, type OpenAIEndpoint } from "../openai-compatible/openai-endpoint";
import { providerConfigSchema, url } from "../provider-config";

export const OPENAI_BASE_URL = "https://api.openai.com/v1";

export const openaiConfig = providerConfigSchema("openai", {
  apiKey: T.String(),
  baseUrl: T.Optional(url),
  organization: T.Optional(T.String()),
});
export type OpenAIConfig = Static<typeof openaiConfig>;

export const openaiProvider = openAICompatibleProvider({
  type: "openai",
  config: openaiConfig,
  dialect: {
    maxTokensField: "max_completion_tokens",
    isReasoningModel: isOpenAIReasoningModel,
    openAIReasoningModels: true,
  },
  endpoint: (config): OpenAIEndpoint => baseUrlEndpoint(config.baseUrl ?? OPENAI_BASE_URL, config, bearerAuth(requireApiKey(config))),
});
