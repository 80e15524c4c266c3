/**
 * How one OpenAI-compatible provider differs from OpenAI itself. Each difference is written
 * once, here, as data; the request builder and the chunk translator read it.
 */
import type { ProviderType } from "../../config/mapping";

export interface OpenAIDialect {
  type: ProviderType;
  /** Field that carries `maxOutputTokens`. */
  maxTokensField: "max_completion_tokens" | "max_tokens";
  /** Whether `top_k` is accepted (dropped with a debug log otherwise). */
  topK: boolean;
  /** Whether `seed`, `presence_penalty`, `frequency_penalty` are accepted. */
  penaltiesAndSeed: boolean;
  /** Send `stream_options: { include_usage: true }` on streams. */
  streamUsageOption: boolean;
  /** Which `responseFormat` types the provider takes; others get a clear 400. */
  responseFormats: readonly ("text" | "json_object" | "json_schema")[];
  /** Whether `reasoning_effort` is accepted. */
  reasoningEffort: boolean;
  /** Models that reject sampling parameters (OpenAI's reasoning models). */
  isReasoningModel(deploymentName: string): boolean;
}

export const OPENAI_DIALECT: OpenAIDialect = {
  type: "openai",
  maxTokensField: "max_completion_tokens",
  topK: false,
  penaltiesAndSeed: true,
  streamUsageOption: true,
  responseFormats: ["text", "json_object", "json_schema"],
  reasoningEffort: true,
  isReasoningModel: (name) => /^(o\d|gpt-5)(?!.*-chat)/.test(name),
};
