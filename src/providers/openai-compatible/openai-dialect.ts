/**
 * How one OpenAI-compatible provider differs from a plain compatible server. Each difference is
 * written once, as data in the provider's own file; the request builders read it.
 */

export type ResponseFormatType = "text" | "json_object" | "json_schema";

export interface OpenAIDialect {
  /** The provider type, as messages and logs name it. */
  type: string;
  /** Field that carries `maxOutputTokens`. */
  maxTokensField: "max_completion_tokens" | "max_tokens";
  /** Whether `top_k` is accepted (dropped with a debug log otherwise). */
  topK: boolean;
  /** Whether `seed`, `presence_penalty`, `frequency_penalty` are accepted (dropped with a debug log otherwise). */
  penaltiesAndSeed: boolean;
  /** Send `stream_options: { include_usage: true }` on streams. */
  streamUsageOption: boolean;
  /** Which `responseFormat` types the provider takes; others get a clear 400. */
  responseFormats: readonly ResponseFormatType[];
  /** Whether `reasoning_effort` is accepted. */
  reasoningEffort: boolean;
  /** Models that reject sampling parameters (OpenAI's reasoning models). */
  isReasoningModel(deploymentName: string): boolean;
  /**
   * OpenAI's reasoning-model rules apply: when `isReasoningModel` matches or `reasoningEffort`
   * is set, sampling parameters are dropped and the limit goes in `max_completion_tokens`.
   * Default `false`.
   */
  openAIReasoningModels?: boolean;
  /**
   * Whether user content may be a list of parts. `false`: content must be a string, so text
   * parts are joined with a newline and an image part gets a clear 400. Default `true`.
   */
  contentParts?: boolean;
  /** Whether tools (and tool calls in the history) are available. Default `true`. */
  tools?: boolean;
}

/**
 * A plain OpenAI-compatible server: the parameters every compatible server knows, `max_tokens`
 * (the field they share; `max_completion_tokens` is newer), usage asked for on streams.
 */
export const COMPATIBLE_DEFAULTS: Omit<OpenAIDialect, "type"> = {
  maxTokensField: "max_tokens",
  topK: false,
  penaltiesAndSeed: true,
  streamUsageOption: true,
  responseFormats: ["text", "json_object", "json_schema"],
  reasoningEffort: true,
  isReasoningModel: () => false,
};

/** OpenAI's reasoning models (o1, o3, gpt-5 but not its -chat models) reject sampling parameters. */
export const isOpenAIReasoningModel = (deploymentName: string): boolean => /^(o\d|gpt-5)(?!.*-chat)/.test(deploymentName);
