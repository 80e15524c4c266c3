/** `openai`: OpenAI's chat completions through the official SDK. */
import OpenAI from "openai";
import type { ProviderConfig } from "../../config/mapping";
import { createOpenAICompatibleAdapter, openAIClientOptions, requireApiKey } from "../openai-compatible/openai-compatible-adapter";
import { OPENAI_DIALECT } from "../openai-compatible/openai-dialect";
import type { ProviderAdapter } from "../provider-adapter";

export const OPENAI_BASE_URL = "https://api.openai.com/v1";

export function createOpenAIAdapter(config: ProviderConfig): ProviderAdapter {
  const client = new OpenAI({
    apiKey: requireApiKey(config),
    baseURL: config.baseUrl ?? OPENAI_BASE_URL,
    ...openAIClientOptions(config),
  });
  return createOpenAICompatibleAdapter({ dialect: OPENAI_DIALECT, client });
}
