/**
 * Every provider type, declared once in its folder (`*-provider.ts`: type, mapping schema, adapter
 * loader). The mapping's provider schemas, `ProviderType` and the discriminated `ProviderConfig`
 * are derived from this list; adding a provider is its folder plus one line here.
 */
import type { Static } from "@sinclair/typebox";
import { anthropicProvider } from "./anthropic/anthropic-provider";
import { azureOpenAICompletionsProvider, azureOpenAIProvider } from "./azure/azure-provider";
import { anthropicBedrockProvider } from "./bedrock/anthropic-bedrock-provider";
import { googleProvider } from "./google/google-provider";
import { jambaProvider } from "./jamba/jamba-provider";
import { mistralProvider } from "./mistral/mistral-provider";
import { mockProvider } from "./mock/mock-provider";
import { ollamaProvider } from "./ollama/ollama-provider";
import { openaiProvider } from "./openai/openai-provider";
import { remoteCompletionProvider } from "./remote/remote-completion-provider";
import { vllmProvider } from "./vllm/vllm-provider";

/** In the order the mapping's messages list them. */
export const PROVIDERS = {
  openai: openaiProvider,
  azure_openai: azureOpenAIProvider,
  azure_openai_completions: azureOpenAICompletionsProvider,
  anthropic: anthropicProvider,
  anthropic_bedrock: anthropicBedrockProvider,
  google: googleProvider,
  mistral: mistralProvider,
  jamba: jambaProvider,
  ollama: ollamaProvider,
  vllm: vllmProvider,
  remote_completion: remoteCompletionProvider,
  mock: mockProvider,
} as const;

export type ProviderType = keyof typeof PROVIDERS;
export const PROVIDER_TYPES = Object.keys(PROVIDERS) as readonly ProviderType[];

/** One provider's mapping entry, as validated by its schema. */
export type ProviderConfigOf<Type extends ProviderType> = Static<(typeof PROVIDERS)[Type]["config"]>;
type AnyProviderField = { [Type in ProviderType]: keyof ProviderConfigOf<Type> }[ProviderType];
/**
 * Any provider's mapping entry, discriminated by `type`. Another type's fields read as
 * `undefined`, so code that serves several types (logs, secrets, tests) can look without narrowing.
 */
export type ProviderConfig = {
  [Type in ProviderType]: ProviderConfigOf<Type> & { [Field in Exclude<AnyProviderField, keyof ProviderConfigOf<Type>>]?: undefined };
}[ProviderType];

// Each entry's key is its declaration's type: the type checker holds us to it.
PROVIDERS satisfies { [Type in ProviderType]: { type: Type } };
