/**
 * `azure_openai` (chat completions) and `azure_openai_completions` (legacy text completions):
 * `{endpoint}/openai/deployments/{deploymentName}/…?api-version=…` with the key in `api-key`.
 */
import type { Static } from "@sinclair/typebox";
import { Type as T } from "@sinclair/typebox";
import { openAICompatibleProvider } from "../openai-compatible/openai-compatible-provider";
import { isOpenAIReasoningModel } from "../openai-compatible/openai-dialect";
import { requireApiKey, type OpenAIEndpoint } from "../openai-compatible/openai-endpoint";
import { azureEndpoint } from "./azure-endpoint";
import { LeadingWhitespaceTrim } from "./leading-whitespace-trim";
import { providerConfigSchema, url } from "../provider-config";

export const AZURE_DEFAULT_API_VERSION = "2024-10-21";

const azureFields = { endpoint: url, apiKey: T.String(), apiVersion: T.Optional(T.String({ minLength: 1 })) };
export const azureOpenAIConfig = providerConfigSchema("azure_openai", azureFields);
export const azureOpenAICompletionsConfig = providerConfigSchema("azure_openai_completions", azureFields);
export type AzureOpenAIConfig = Static<typeof azureOpenAIConfig> | Static<typeof azureOpenAICompletionsConfig>;

const endpoint = (config: AzureOpenAIConfig): OpenAIEndpoint =>
  azureEndpoint(config.endpoint, config.apiVersion ?? AZURE_DEFAULT_API_VERSION, config, requireApiKey(config));

/**
 * Chat completions on a deployment. `max_tokens` works on every API version and model except
 * the reasoning models, which get `max_completion_tokens` (OpenAI's rules, recognised by the
 * deployment name or a `reasoningEffort` in the request).
 */
export const azureOpenAIProvider = openAICompatibleProvider({
  type: "azure_openai",
  config: azureOpenAIConfig,
  dialect: { isReasoningModel: isOpenAIReasoningModel, openAIReasoningModels: true },
  endpoint,
});

/** The legacy text completions: one prompt, no roles, tools, images or JSON modes. */
export const azureOpenAICompletionsProvider = openAICompatibleProvider({
  type: "azure_openai_completions",
  config: azureOpenAICompletionsConfig,
  api: "completions",
  dialect: { responseFormats: ["text"], reasoningEffort: false, contentParts: false, tools: false },
  endpoint,
  rewriteEvents: () => new LeadingWhitespaceTrim(),
});
