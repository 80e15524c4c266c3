/** `remote_completion`: any OpenAI-compatible chat-completions endpoint. Its mapping entry and its adapter's loader. */
import type { Static } from "@sinclair/typebox";
import { Type as T } from "@sinclair/typebox";
import { providerConfigSchema, url, type AdapterFactory, type ProviderDeclaration } from "../provider-config";

export const remoteCompletionConfig = providerConfigSchema("remote_completion", { apiKey: T.Optional(T.String()), baseUrl: url });
export type RemoteCompletionConfig = Static<typeof remoteCompletionConfig>;

export const remoteCompletionProvider: ProviderDeclaration<"remote_completion", typeof remoteCompletionConfig, RemoteCompletionConfig> = {
  type: "remote_completion",
  config: remoteCompletionConfig,
  loadAdapter: async (): Promise<AdapterFactory<RemoteCompletionConfig>> => (await import("./remote-completion-adapter")).createRemoteCompletionAdapter,
};
