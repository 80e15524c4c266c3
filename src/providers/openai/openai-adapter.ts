/** `openai`: OpenAI's chat completions. */
import type { OpenAIConfig } from "./openai-provider";
import { createOpenAICompatibleAdapter, requireApiKey } from "../openai-compatible/openai-compatible-adapter";
import { OPENAI_DIALECT } from "../openai-compatible/openai-dialect";
import { baseUrlEndpoint, bearerAuth } from "../openai-compatible/openai-endpoint";
import type { ProviderAdapter } from "../provider-adapter";

export const OPENAI_BASE_URL = "https://api.openai.com/v1";

export function createOpenAIAdapter(config: OpenAIConfig): ProviderAdapter {
  const endpoint = baseUrlEndpoint(config.baseUrl ?? OPENAI_BASE_URL, config, bearerAuth(requireApiKey(config)));
  return createOpenAICompatibleAdapter({ dialect: OPENAI_DIALECT, endpoint });
}
