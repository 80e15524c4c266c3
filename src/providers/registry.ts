/**
 * Provider type → adapter factory. Adding a provider is one line here plus its folder.
 *
 * Each provider's module (and so its SDK) is loaded only when the mapping uses that type: the
 * SDKs are large (Mistral's alone holds ~17 MB of heap), and a service runs a few of them.
 */
import type { ProviderType } from "../config/mapping";
import type { ProviderAdapterFactory } from "./provider-adapter";

type FactoryLoader = () => Promise<ProviderAdapterFactory>;

/** Every provider type of the mapping has a loader: the type checker holds us to it. */
const PROVIDER_FACTORY_LOADERS: Record<ProviderType, FactoryLoader> = {
  openai: async () => (await import("./openai/openai-adapter")).createOpenAIAdapter,
  azure_openai: async () => (await import("./azure/azure-openai-adapter")).createAzureOpenAIAdapter,
  azure_openai_completions: async () => (await import("./azure/azure-openai-adapter")).createAzureOpenAICompletionsAdapter,
  anthropic: async () => (await import("./anthropic/anthropic-adapter")).createAnthropicAdapter,
  anthropic_bedrock: async () => (await import("./bedrock/anthropic-bedrock-adapter")).createAnthropicBedrockAdapter,
  google: async () => (await import("./google/google-adapter")).createGoogleAdapter,
  mistral: async () => (await import("./mistral/mistral-adapter")).createMistralAdapter,
  jamba: async () => (await import("./jamba/jamba-adapter")).createJambaAdapter,
  ollama: async () => (await import("./ollama/ollama-adapter")).createOllamaAdapter,
  vllm: async () => (await import("./vllm/vllm-adapter")).createVllmAdapter,
  remote_completion: async () => (await import("./remote/remote-completion-adapter")).createRemoteCompletionAdapter,
  mock: async () => (await import("./mock/mock-adapter")).createMockAdapter,
};

/** The factories of the provider types loaded so far; `load` adds the ones a mapping needs. */
export class ProviderFactories {
  readonly loaded: Partial<Record<ProviderType, ProviderAdapterFactory>> = {};

  async load(types: Iterable<ProviderType>): Promise<void> {
    for (const type of types) this.loaded[type] ??= await PROVIDER_FACTORY_LOADERS[type]();
  }
}
