/**
 * `azure_openai` (chat completions) and `azure_openai_completions` (legacy text completions): the
 * same mapping entry, the resource's `endpoint` and its key.
 */
import type { Static } from "@sinclair/typebox";
import { Type as T } from "@sinclair/typebox";
import { providerConfigSchema, url, type AdapterFactory, type ProviderDeclaration } from "../provider-config";

const azureFields = { endpoint: url, apiKey: T.String(), apiVersion: T.Optional(T.String({ minLength: 1 })) };

export const azureOpenAIConfig = providerConfigSchema("azure_openai", azureFields);
export const azureOpenAICompletionsConfig = providerConfigSchema("azure_openai_completions", azureFields);
export type AzureOpenAIConfig = Static<typeof azureOpenAIConfig> | Static<typeof azureOpenAICompletionsConfig>;

export const azureOpenAIProvider: ProviderDeclaration<"azure_openai", typeof azureOpenAIConfig, AzureOpenAIConfig> = {
  type: "azure_openai",
  config: azureOpenAIConfig,
  loadAdapter: async (): Promise<AdapterFactory<AzureOpenAIConfig>> => (await import("./azure-openai-adapter")).createAzureOpenAIAdapter,
};

export const azureOpenAICompletionsProvider: ProviderDeclaration<"azure_openai_completions", typeof azureOpenAICompletionsConfig, AzureOpenAIConfig> = {
  type: "azure_openai_completions",
  config: azureOpenAICompletionsConfig,
  loadAdapter: async (): Promise<AdapterFactory<AzureOpenAIConfig>> =>
    (await import("./azure-openai-adapter")).createAzureOpenAICompletionsAdapter,
};
