/** Provider type → adapter factory. Adding a provider is one line here plus its folder. */
import type { ProviderType } from "../config/mapping";
import { createAnthropicAdapter } from "./anthropic/anthropic-adapter";
import { createAnthropicBedrockAdapter } from "./bedrock/anthropic-bedrock-adapter";
import { createMockAdapter } from "./mock/mock-adapter";
import { createOpenAIAdapter } from "./openai/openai-adapter";
import type { ProviderAdapterFactory } from "./provider-adapter";

export const PROVIDER_FACTORIES: Partial<Record<ProviderType, ProviderAdapterFactory>> = {
  mock: createMockAdapter,
  openai: createOpenAIAdapter,
  anthropic: createAnthropicAdapter,
  anthropic_bedrock: createAnthropicBedrockAdapter,
};
