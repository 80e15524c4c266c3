/**
 * `remote_completion`: any OpenAI-compatible chat-completions endpoint, at the mapping's
 * `baseUrl`, the Bearer key optional. It speaks plain OpenAI (the parameters every compatible
 * server knows) and reads answers defensively: usage missing (estimated) or on any chunk, no
 * `[DONE]`, comment lines, CRLF framing, whole tool calls.
 */
import type { Static } from "@sinclair/typebox";
import { Type as T } from "@sinclair/typebox";
import { openAICompatibleProvider } from "../openai-compatible/openai-compatible-provider";
import { baseUrlEndpoint, bearerAuth, type OpenAIEndpoint } from "../openai-compatible/openai-endpoint";
import { providerConfigSchema, url } from "../provider-config";

export const remoteCompletionConfig = providerConfigSchema("remote_completion", { apiKey: T.Optional(T.String()), baseUrl: url });
export type RemoteCompletionConfig = Static<typeof remoteCompletionConfig>;

export const remoteCompletionProvider = openAICompatibleProvider({
  type: "remote_completion",
  config: remoteCompletionConfig,
  endpoint: (config): OpenAIEndpoint => baseUrlEndpoint(config.baseUrl, config, bearerAuth(config.apiKey)),
});
