/** `anthropic`: Anthropic's Messages API. Its mapping entry and its adapter's loader. */
import type { Static } from "@sinclair/typebox";
import { Type as T } from "@sinclair/typebox";
import { providerConfigSchema, url, type AdapterFactory, type ProviderDeclaration } from "../provider-config";

export const anthropicConfig = providerConfigSchema("anthropic", { apiKey: T.String(), baseUrl: T.Optional(url) });
export type AnthropicConfig = Static<typeof anthropicConfig>;

export const anthropicProvider: ProviderDeclaration<"anthropic", typeof anthropicConfig, AnthropicConfig> = {
  type: "anthropic",
  config: anthropicConfig,
  loadAdapter: async (): Promise<AdapterFactory<AnthropicConfig>> => (await import("./anthropic-adapter")).createAnthropicAdapter,
};
