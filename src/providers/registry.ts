/** Provider type → adapter factory. Adding a provider is one line here plus its folder. */
import type { ProviderType } from "../config/mapping";
import { createAnthropicAdapter } from "./anthropic/anthropic-adapter";
import { createAzureOpenAIAdapter, createAzureOpenAICompletionsAdapter } from "./azure/azure-openai-adapter";
import { createAnthropicBedrockAdapter } from "./bedrock/anthropic-bedrock-adapter";
import { createGoogleAdapter } from "./google/google-adapter";
import { createJambaAdapter } from "./jamba/jamba-adapter";
import { createMistralAdapter } from "./mistral/mistral-adapter";
import { createMockAdapter } from "./mock/mock-adapter";
import { createOllamaAdapter } from "./ollama/ollama-adapter";
import { createOpenAIAdapter } from "./openai/openai-adapter";
import type { ProviderAdapterFactory } from "./provider-adapter";
import { createRemoteCompletionAdapter } from "./remote/remote-completion-adapter";
import { createVllmAdapter } from "./vllm/vllm-adapter";

/** Every provider type of the mapping has a factory: the type checker holds us to it. */
export const PROVIDER_FACTORIES: Record<ProviderType, ProviderAdapterFactory> = {
  openai: createOpenAIAdapter,
  azure_openai: createAzureOpenAIAdapter,
  azure_openai_completions: createAzureOpenAICompletionsAdapter,
  anthropic: createAnthropicAdapter,
  anthropic_bedrock: createAnthropicBedrockAdapter,
  google: createGoogleAdapter,
  mistral: createMistralAdapter,
  jamba: createJambaAdapter,
  ollama: createOllamaAdapter,
  vllm: createVllmAdapter,
  remote_completion: createRemoteCompletionAdapter,
  mock: createMockAdapter,
};
