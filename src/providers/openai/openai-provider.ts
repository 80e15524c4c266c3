/** `openai`: OpenAI's chat completions. Its mapping entry and its adapter's loader. */
import type { Static } from "@sinclair/typebox";
import { Type as T } from "@sinclair/typebox";
import { providerConfigSchema, url, type AdapterFactory, type ProviderDeclaration } from "../provider-config";

export const openaiConfig = providerConfigSchema("openai", { apiKey: T.String(), baseUrl: T.Optional(url), organization: T.Optional(T.String()) });
export type OpenAIConfig = Static<typeof openaiConfig>;

export const openaiProvider: ProviderDeclaration<"openai", typeof openaiConfig, OpenAIConfig> = {
  type: "openai",
  config: openaiConfig,
  loadAdapter: async (): Promise<AdapterFactory<OpenAIConfig>> => (await import("./openai-adapter")).createOpenAIAdapter,
};
