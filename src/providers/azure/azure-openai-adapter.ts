/** `azure_openai` (chat completions) and `azure_openai_completions` (legacy text completions). */
import type { ProviderConfig } from "../../config/mapping";
import { createOpenAICompatibleAdapter } from "../openai-compatible/openai-compatible-adapter";
import type { ProviderAdapter } from "../provider-adapter";
import { AZURE_OPENAI_COMPLETIONS_DIALECT, AZURE_OPENAI_DIALECT } from "./azure-dialects";
import { createAzureOpenAIClient } from "./azure-openai-client";

export function createAzureOpenAIAdapter(config: ProviderConfig): ProviderAdapter {
  return createOpenAICompatibleAdapter({ dialect: AZURE_OPENAI_DIALECT, client: createAzureOpenAIClient(config) });
}

export function createAzureOpenAICompletionsAdapter(config: ProviderConfig): ProviderAdapter {
  return createOpenAICompatibleAdapter({
    dialect: AZURE_OPENAI_COMPLETIONS_DIALECT,
    client: createAzureOpenAIClient(config),
    api: "completions",
  });
}
