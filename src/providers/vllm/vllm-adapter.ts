/**
 * `vllm`: a vLLM server's OpenAI-compatible chat completions. Its stream quirks (reasoning in
 * `reasoning` / `reasoning_content`, usage on every chunk, a trailing empty arguments fragment,
 * integer error codes, flat error chunks) are read by the shared translator.
 */
import type { VllmConfig } from "./vllm-provider";
import { createBaseUrlAdapter } from "../openai-compatible/openai-compatible-adapter";
import type { OpenAIDialect } from "../openai-compatible/openai-dialect";
import type { ProviderAdapter } from "../provider-adapter";

export const VLLM_DIALECT: OpenAIDialect = {
  type: "vllm",
  maxTokensField: "max_tokens",
  topK: true,
  penaltiesAndSeed: true,
  streamUsageOption: true,
  responseFormats: ["text", "json_object", "json_schema"],
  reasoningEffort: true,
  isReasoningModel: () => false,
};

export function createVllmAdapter(config: VllmConfig): ProviderAdapter {
  return createBaseUrlAdapter(config, VLLM_DIALECT);
}
