/** `vllm`: a vLLM server's OpenAI-compatible chat completions. Its mapping entry and its adapter's loader. */
import type { Static } from "@sinclair/typebox";
import { Type as T } from "@sinclair/typebox";
import { providerConfigSchema, url, type AdapterFactory, type ProviderDeclaration } from "../provider-config";

export const vllmConfig = providerConfigSchema("vllm", { apiKey: T.Optional(T.String()), baseUrl: url });
export type VllmConfig = Static<typeof vllmConfig>;

export const vllmProvider: ProviderDeclaration<"vllm", typeof vllmConfig, VllmConfig> = {
  type: "vllm",
  config: vllmConfig,
  loadAdapter: async (): Promise<AdapterFactory<VllmConfig>> => (await import("./vllm-adapter")).createVllmAdapter,
};
