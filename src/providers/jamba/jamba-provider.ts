/** `jamba`: AI21's Jamba chat completions. Its mapping entry and its adapter's loader. */
import type { Static } from "@sinclair/typebox";
import { Type as T } from "@sinclair/typebox";
import { providerConfigSchema, url, type AdapterFactory, type ProviderDeclaration } from "../provider-config";

export const jambaConfig = providerConfigSchema("jamba", { apiKey: T.String(), baseUrl: T.Optional(url) });
export type JambaConfig = Static<typeof jambaConfig>;

export const jambaProvider: ProviderDeclaration<"jamba", typeof jambaConfig, JambaConfig> = {
  type: "jamba",
  config: jambaConfig,
  loadAdapter: async (): Promise<AdapterFactory<JambaConfig>> => (await import("./jamba-adapter")).createJambaAdapter,
};
