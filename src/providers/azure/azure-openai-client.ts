/** One `AzureOpenAI` client per configured Azure resource, for both of its APIs. */
import { AzureOpenAI } from "openai";
import type { ProviderConfig } from "../../config/mapping";
import { openAIClientOptions, requireApiKey } from "../openai-compatible/openai-compatible-adapter";

export const AZURE_DEFAULT_API_VERSION = "2024-10-21";

/**
 * The SDK puts the deployment (the body's `model`, our `deploymentName`) into the path:
 * `{endpoint}/openai/deployments/{deploymentName}/chat/completions?api-version=…` (and
 * `/completions`), and the key into the `api-key` header. We give it the base URL rather than the
 * `endpoint` so that no `OPENAI_BASE_URL` in the environment can take part.
 */
export function createAzureOpenAIClient(config: ProviderConfig): AzureOpenAI {
  if (!config.endpoint) throw new Error("endpoint is required");
  return new AzureOpenAI({
    baseURL: `${config.endpoint.replace(/\/+$/, "")}/openai`,
    apiKey: requireApiKey(config),
    apiVersion: config.apiVersion ?? AZURE_DEFAULT_API_VERSION,
    ...openAIClientOptions(config),
  });
}
