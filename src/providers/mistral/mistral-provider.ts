/** `mistral`: Mistral's chat completions. Its mapping entry and its adapter's loader. */
import type { Static } from "@sinclair/typebox";
import { Type as T } from "@sinclair/typebox";
import { providerConfigSchema, url, type AdapterFactory, type ProviderDeclaration } from "../provider-config";

export const mistralConfig = providerConfigSchema("mistral", { apiKey: T.String(), baseUrl: T.Optional(url) });
export type MistralConfig = Static<typeof mistralConfig>;

export const mistralProvider: ProviderDeclaration<"mistral", typeof mistralConfig, MistralConfig> = {
  type: "mistral",
  config: mistralConfig,
  loadAdapter: async (): Promise<AdapterFactory<MistralConfig>> => (await import("./mistral-adapter")).createMistralAdapter,
};
