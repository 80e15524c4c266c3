/** `google`: the Gemini API. Its mapping entry and its adapter's loader. */
import type { Static } from "@sinclair/typebox";
import { Type as T } from "@sinclair/typebox";
import { providerConfigSchema, url, type AdapterFactory, type ProviderDeclaration } from "../provider-config";

export const googleConfig = providerConfigSchema("google", {
  apiKey: T.String(),
  baseUrl: T.Optional(url),
  apiVersion: T.Optional(T.String({ minLength: 1 })),
});
export type GoogleConfig = Static<typeof googleConfig>;

export const googleProvider: ProviderDeclaration<"google", typeof googleConfig, GoogleConfig> = {
  type: "google",
  config: googleConfig,
  loadAdapter: async (): Promise<AdapterFactory<GoogleConfig>> => (await import("./google-adapter")).createGoogleAdapter,
};
