/** How Azure OpenAI's two APIs differ from OpenAI's. */
import { OPENAI_DIALECT, type OpenAIDialect } from "../openai-compatible/openai-dialect";

/**
 * Chat completions on a deployment. `max_tokens` works on every API version and model except
 * the reasoning models, which get `max_completion_tokens` (OpenAI's rules, recognised by the
 * deployment name or a `reasoningEffort` in the request).
 */
export const AZURE_OPENAI_DIALECT: OpenAIDialect = {
  ...OPENAI_DIALECT,
  type: "azure_openai",
  maxTokensField: "max_tokens",
};

/** The legacy text completions: one prompt, no roles, tools, images or JSON modes. */
export const AZURE_OPENAI_COMPLETIONS_DIALECT: OpenAIDialect = {
  type: "azure_openai_completions",
  maxTokensField: "max_tokens",
  topK: false,
  penaltiesAndSeed: true,
  streamUsageOption: true,
  responseFormats: ["text"],
  reasoningEffort: false,
  isReasoningModel: () => false,
  contentParts: false,
  tools: false,
};
