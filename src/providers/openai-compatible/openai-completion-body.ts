/** Our request → a legacy text-completions body (`POST …/completions`), shaped by the dialect. */
import type { CompletionRequest } from "../../core/request";
import type { RequestPlan } from "../provider-runner";
import type { OpenAIDialect } from "./openai-dialect";
import { applyGenerationParameters, checkDialectSupport, type OpenAIGenerationParameters } from "./openai-request-body";
import { renderCompletionPrompt, USER_TURN_STOP } from "./render-completion-prompt";

/**
 * Sent when the request sets no `maxOutputTokens`: the API's own default is 16 tokens, which
 * cuts almost every answer. Kept well below the 4k context of the instruct models so a prompt of
 * up to ~3k tokens still fits.
 */
export const DEFAULT_COMPLETION_MAX_TOKENS = 1024;
/** The API takes at most this many stop sequences. */
const MAX_STOP_SEQUENCES = 4;

export interface OpenAICompletionBody extends OpenAIGenerationParameters {
  model: string;
  prompt: string;
}

export function buildOpenAICompletionBody(
  request: CompletionRequest,
  deploymentName: string,
  dialect: OpenAIDialect,
): RequestPlan<OpenAICompletionBody> {
  checkDialectSupport(request, dialect);
  const body: OpenAICompletionBody = {
    model: deploymentName,
    prompt: renderCompletionPrompt(request.messages),
    stream: request.stream,
  };
  const dropped = applyGenerationParameters(request, deploymentName, dialect, body);
  if (request.reasoningEffort !== undefined) dropped.push("reasoningEffort");
  body[dialect.maxTokensField] ??= DEFAULT_COMPLETION_MAX_TOKENS;
  const stop = body.stop ?? [];
  if (stop.length < MAX_STOP_SEQUENCES && !stop.includes(USER_TURN_STOP)) body.stop = [...stop, USER_TURN_STOP];
  return { body, warnings: dropped };
}
