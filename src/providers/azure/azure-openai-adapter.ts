/**
 * `azure_openai` (chat completions) and `azure_openai_completions` (legacy text completions):
 * `{endpoint}/openai/deployments/{deploymentName}/…?api-version=…` with the key in `api-key`.
 */
import type { AzureOpenAIConfig } from "./azure-provider";
import { createOpenAICompatibleAdapter, requireApiKey } from "../openai-compatible/openai-compatible-adapter";
import { azureEndpoint, type OpenAIEndpoint } from "../openai-compatible/openai-endpoint";
import type { ProviderAdapter } from "../provider-adapter";
import { AZURE_OPENAI_COMPLETIONS_DIALECT, AZURE_OPENAI_DIALECT } from "./azure-dialects";

export const AZURE_DEFAULT_API_VERSION = "2024-10-21";

export function createAzureOpenAIAdapter(config: AzureOpenAIConfig): ProviderAdapter {
  return createOpenAICompatibleAdapter({ dialect: AZURE_OPENAI_DIALECT, endpoint: endpointFor(config) });
}

export function createAzureOpenAICompletionsAdapter(config: AzureOpenAIConfig): ProviderAdapter {
  return createOpenAICompatibleAdapter({ dialect: AZURE_OPENAI_COMPLETIONS_DIALECT, endpoint: endpointFor(config), api: "completions" });
}

function endpointFor(config: AzureOpenAIConfig): OpenAIEndpoint {
  return azureEndpoint(config.endpoint, config.apiVersion ?? AZURE_DEFAULT_API_VERSION, config, requireApiKey(config));
}
