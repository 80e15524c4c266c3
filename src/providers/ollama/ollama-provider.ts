/** `ollama`: Ollama's native chat API. Its mapping entry and its adapter's loader. */
import type { Static } from "@sinclair/typebox";
import { Type as T } from "@sinclair/typebox";
import { providerConfigSchema, url, type AdapterFactory, type ProviderDeclaration } from "../provider-config";

export const ollamaConfig = providerConfigSchema("ollama", { apiKey: T.Optional(T.String()), baseUrl: T.Optional(url) });
export type OllamaConfig = Static<typeof ollamaConfig>;

export const ollamaProvider: ProviderDeclaration<"ollama", typeof ollamaConfig, OllamaConfig> = {
  type: "ollama",
  config: ollamaConfig,
  loadAdapter: async (): Promise<AdapterFactory<OllamaConfig>> => (await import("./ollama-adapter")).createOllamaAdapter,
};
