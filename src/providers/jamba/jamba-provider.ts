/** `jamba`: AI21's Jamba chat completions, an OpenAI-compatible API with string-only content. */
import type { Static } from "@sinclair/typebox";
import { Type as T } from "@sinclair/typebox";
import { openAICompatibleProvider } from "../openai-compatible/openai-compatible-provider";
import { baseUrlEndpoint, bearerAuth, requireApiKey, type OpenAIEndpoint } from "../openai-compatible/openai-endpoint";
import { providerConfigSchema, url } from "../provider-config";

export const JAMBA_BASE_URL = "https://api.ai21.com/studio/v1";

export const jambaConfig = providerConfigSchema("jamba", { apiKey: T.String(), baseUrl: T.Optional(url) });
export type JambaConfig = Static<typeof jambaConfig>;

/** Usage comes on the last chunk without asking; JSON mode but no JSON schema; no images. */
export const jambaProvider = openAICompatibleProvider({
  type: "jamba",
  config: jambaConfig,
  dialect: {
    penaltiesAndSeed: false,
    streamUsageOption: false,
    responseFormats: ["text", "json_object"],
    reasoningEffort: false,
    contentParts: false,
  },
  endpoint: (config): OpenAIEndpoint => baseUrlEndpoint(config.baseUrl ?? JAMBA_BASE_URL, config, bearerAuth(requireApiKey(config))),
});
