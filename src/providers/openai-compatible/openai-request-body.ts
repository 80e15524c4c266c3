/** Our request → an OpenAI chat-completions body, shaped by the provider's dialect. */
import { GatewayError } from "../../core/errors";
import type { CompletionRequest } from "../../core/request";
import type { Logger } from "../../observability/logger";
import { convertToOpenAIMessages, type ConvertOptions, type OpenAIChatMessage } from "./convert-to-openai-messages";
import type { OpenAIDialect } from "./openai-dialect";

export interface OpenAIChatBody {
  model: string;
  messages: OpenAIChatMessage[];
  stream: boolean;
  stream_options?: { include_usage: boolean };
  temperature?: number;
  top_p?: number;
  top_k?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string[];
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  tools?: { type: "function"; function: { name: string; description?: string; parameters?: Record<string, unknown> } }[];
  tool_choice?: "auto" | "none" | "required" | { type: "function"; function: { name: string } };
  response_format?:
    | { type: "text" }
    | { type: "json_object" }
    | { type: "json_schema"; json_schema: { name: string; schema: Record<string, unknown>; strict?: boolean } };
  reasoning_effort?: "low" | "medium" | "high";
}

export function buildOpenAIChatBody(
  request: CompletionRequest,
  deploymentName: string,
  dialect: OpenAIDialect,
  logger: Logger,
  convert: ConvertOptions = {},
): OpenAIChatBody {
  const reasoning = dialect.isReasoningModel(deploymentName) || request.reasoningEffort !== undefined;
  const body: OpenAIChatBody = {
    model: deploymentName,
    messages: convertToOpenAIMessages(request.messages, convert),
    stream: request.stream,
  };
  if (request.stream && dialect.streamUsageOption) body.stream_options = { include_usage: true };

  const dropped: string[] = [];
  if (reasoning && dialect.type === "openai") {
    // OpenAI's reasoning models reject sampling parameters.
    if (request.temperature !== undefined) dropped.push("temperature");
    if (request.topP !== undefined) dropped.push("topP");
    if (request.presencePenalty !== undefined) dropped.push("presencePenalty");
    if (request.frequencyPenalty !== undefined) dropped.push("frequencyPenalty");
  } else {
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.topP !== undefined) body.top_p = request.topP;
    if (dialect.penaltiesAndSeed) {
      if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty;
      if (request.frequencyPenalty !== undefined) body.frequency_penalty = request.frequencyPenalty;
    }
  }
  if (request.topK !== undefined) {
    if (dialect.topK) body.top_k = request.topK;
    else dropped.push("topK");
  }
  if (request.seed !== undefined) {
    if (dialect.penaltiesAndSeed) body.seed = request.seed;
    else dropped.push("seed");
  }
  if (request.maxOutputTokens !== undefined) body[dialect.maxTokensField] = request.maxOutputTokens;
  if (request.stop?.length) body.stop = request.stop;

  if (request.tools?.length) {
    body.tools = request.tools.map((t) => ({ type: "function", function: t }));
  }
  if (request.toolChoice !== undefined) {
    body.tool_choice =
      typeof request.toolChoice === "string"
        ? request.toolChoice
        : { type: "function", function: { name: request.toolChoice.name } };
  }
  const format = request.responseFormat;
  if (format) {
    if (!dialect.responseFormats.includes(format.type)) {
      throw new GatewayError("invalid_request", `responseFormat "${format.type}" is not supported by provider ${dialect.type}`, {
        details: [{ field: "responseFormat.type", message: `${dialect.type} supports ${dialect.responseFormats.join(", ")}` }],
      });
    }
    body.response_format =
      format.type === "json_schema"
        ? {
            type: "json_schema",
            json_schema: { name: format.name ?? "response", schema: format.schema, ...(format.strict !== undefined && { strict: format.strict }) },
          }
        : { type: format.type };
  }
  if (request.reasoningEffort !== undefined) {
    if (dialect.reasoningEffort) body.reasoning_effort = request.reasoningEffort;
    else dropped.push("reasoningEffort");
  }
  if (dropped.length && logger.isEnabled("debug")) {
    logger.debug("parameters dropped for provider", { provider: dialect.type, deploymentName, dropped });
  }
  return body;
}
