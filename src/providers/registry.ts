/** Provider type → adapter factory. Adding a provider is one line here plus its folder. */
import type { ProviderType } from "../config/mapping";
import { createGoogleAdapter } from "./google/google-adapter";
import { createMistralAdapter } from "./mistral/mistral-adapter";
import { createAzureOpenAIAdapter, createAzureOpenAICompletionsAdapter } from "./azure/azure-openai-adapter";
import { createJambaAdapter } from "./jamba/jamba-adapter";
import { createMockAdapter } from "./mock/mock-adapter";
import { createOllamaAdapter } from "./ollama/ollama-adapter";
import { createOpenAIAdapter } from "./openai/openai-adapter";
import { createRemoteCompletionAdapter } from "./remote/remote-completion-adapter";
import { createVllmAdapter } from "./vllm/vllm-adapter";
import type { ProviderAdapterFactory } from "./provider-adapter";

export const PROVIDER_FACTORIES: Partial<Record<ProviderType, ProviderAdapterFactory>> = {
  mock: createMockAdapter,
  openai: createOpenAIAdapter,
  google: createGoogleAdapter,
  mistral: createMistralAdapter,
  ollama: createOllamaAdapter,
  azure_openai: createAzureOpenAIAdapter,
  azure_openai_completions: createAzureOpenAICompletionsAdapter,
  jamba: createJambaAdapter,
  vllm: createVllmAdapter,
  remote_completion: createRemoteCompletionAdapter,
};
