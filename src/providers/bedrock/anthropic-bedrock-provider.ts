/** `anthropic_bedrock`: Claude on AWS Bedrock. Its mapping entry and its adapter's loader. */
import type { Static } from "@sinclair/typebox";
import { Type as T } from "@sinclair/typebox";
import { providerConfigSchema, url, type AdapterFactory, type ProviderDeclaration } from "../provider-config";

export const anthropicBedrockConfig = providerConfigSchema("anthropic_bedrock", {
  region: T.String({ minLength: 1 }),
  endpoint: T.Optional(url),
  // Both, or neither to use the AWS default credential chain (the mapping checks the pair).
  accessKeyId: T.Optional(T.String({ minLength: 1 })),
  secretAccessKey: T.Optional(T.String({ minLength: 1 })),
  sessionToken: T.Optional(T.String()),
});
export type AnthropicBedrockConfig = Static<typeof anthropicBedrockConfig>;

export const anthropicBedrockProvider: ProviderDeclaration<"anthropic_bedrock", typeof anthropicBedrockConfig, AnthropicBedrockConfig> = {
  type: "anthropic_bedrock",
  config: anthropicBedrockConfig,
  loadAdapter: async (): Promise<AdapterFactory<AnthropicBedrockConfig>> =>
    (await import("./anthropic-bedrock-adapter")).createAnthropicBedrockAdapter,
};
