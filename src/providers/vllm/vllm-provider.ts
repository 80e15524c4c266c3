/**
 * `vllm`: a vLLM server's OpenAI-compatible chat completions, at the mapping's `baseUrl`, the
 * Bearer key optional. Its stream quirks (reasoning in `reasoning` / `reasoning_content`, usage on
 * every chunk, a trailing empty arguments fragment, integer error codes, flat error chunks) are
 * read by the shared translator.
 */
import type { Static } from "@sinclair/typebox";
import { Type as T } from "@sinclair/typebox";
import { openAICompatibleProvider } from "../openai-compatible/openai-compatible-provider";
import { baseUrlEndpoint, bearerAuth, type OpenAIEndpoint } from "../openai-compatible/openai-endpoint";
import { providerConfigSchema, url } from "../provider-config";

export const vllmConfig = providerConfigSchema("vllm", { apiKey: T.Optional(T.String()), baseUrl: url });
export type VllmConfig = Static<typeof vllmConfig>;

export const vllmProvider = openAICompatibleProvider({
  type: "vllm",
  config: vllmConfig,
  dialect: { topK: true },
  endpoint: (config): OpenAIEndpoint => baseUrlEndpoint(config.baseUrl, config, bearerAuth(config.apiKey)),
});
