/** Our request → an OpenAI chat-completions body, shaped by the provider's dialect. */
import { GatewayError, type FieldProblem } from "../../core/errors";
import type { CompletionRequest, Message } from "../../core/request";
import type { RequestPlan } from "../provider-runner";
import { toolOffer } from "../tool-offer";
import { convertToOpenAIMessages, type OpenAIChatMessage } from "./convert-to-openai-messages";
import type { OpenAIDialect } from "./openai-dialect";

/** The generation parameters the chat and the legacy completions APIs share. */
export interface OpenAIGenerationParameters {
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
}

export interface OpenAIChatBody extends OpenAIGenerationParameters {
  model: string;
  messages: OpenAIChatMessage[];
  tools?: { type: "function"; function: { name: string; description?: string; parameters?: Record<string, unknown> } }[];
  tool_choice?: "auto" | "none" | "required" | { type: "function"; function: { name: string } };
  response_format?:
    | { type: "text" }
    | { type: "json_object" }
    | { type: "json_schema"; json_schema: { name: string; schema: Record<string, unknown>; strict?: boolean } };
  reasoning_effort?: "low" | "medium" | "high";
}

/**
 * Refuses, with one 400 naming every field, what the provider cannot do: response formats it
 * lacks, tools (and tool history) where there are none, images where content must be text.
 */
export function checkDialectSupport(request: CompletionRequest, dialect: OpenAIDialect): void {
  const problems: FieldProblem[] = [];
  const name = dialect.type;
  const format = request.responseFormat;
  if (format && !dialect.responseFormats.includes(format.type)) {
    problems.push({
      field: "responseFormat.type",
      message: `"${format.type}" is not supported by provider ${name} (it supports ${dialect.responseFormats.join(", ")})`,
    });
  }
  if (dialect.tools === false) {
    if (request.tools?.length) problems.push({ field: "tools", message: `tools are not available with provider ${name}` });
    const choice = request.toolChoice;
    if (choice !== undefined && choice !== "none" && choice !== "auto") {
      problems.push({ field: "toolChoice", message: `tools are not available with provider ${name}` });
    }
  }
  // Only dialects lacking tools or content parts need to look at each message.
  if (dialect.tools === false || dialect.contentParts === false) {
    for (let i = 0; i < request.messages.length; i++) problems.push(...messageProblems(request.messages[i]!, i, dialect));
  }
  if (problems.length) {
    const summary =
      problems.length === 1
        ? `${problems[0]!.field}: ${problems[0]!.message}`
        : `${problems.length} fields are not supported by provider ${name}`;
    throw new GatewayError("invalid_request", summary, { details: problems });
  }
}

function messageProblems(m: Message, i: number, dialect: OpenAIDialect): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const name = dialect.type;
  if (dialect.tools === false) {
    if (m.role === "assistant" && m.toolCalls?.length) {
      problems.push({ field: `messages[${i}].toolCalls`, message: `tool calls are not available with provider ${name}` });
    } else if (m.role === "tool") {
      problems.push({ field: `messages[${i}].role`, message: `tool results are not available with provider ${name}` });
    }
  }
  if (dialect.contentParts === false && m.role === "user" && Array.isArray(m.content)) {
    m.content.forEach((p, j) => {
      if (p.type === "image")
        problems.push({ field: `messages[${i}].content[${j}]`, message: `image input is not supported by provider ${name}` });
    });
  }
  return problems;
}

/**
 * Sampling, limits and stop sequences, by the dialect's names. Returns the request fields the
 * provider has no place for (logged at debug by the caller).
 */
export function applyGenerationParameters(
  request: CompletionRequest,
  deploymentName: string,
  dialect: OpenAIDialect,
  body: OpenAIGenerationParameters,
): string[] {
  const dropped: string[] = [];
  const reasoning =
    dialect.openAIReasoningModels === true && (dialect.isReasoningModel(deploymentName) || request.reasoningEffort !== undefined);
  if (request.stream && dialect.streamUsageOption) body.stream_options = { include_usage: true };
  if (reasoning) {
    // OpenAI's reasoning models reject sampling parameters.
    if (request.temperature !== undefined) dropped.push("temperature");
    if (request.topP !== undefined) dropped.push("topP");
    if (request.presencePenalty !== undefined) dropped.push("presencePenalty");
    if (request.frequencyPenalty !== undefined) dropped.push("frequencyPenalty");
  } else {
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.topP !== undefined) body.top_p = request.topP;
    if (request.presencePenalty !== undefined) {
      if (dialect.penaltiesAndSeed) body.presence_penalty = request.presencePenalty;
      else dropped.push("presencePenalty");
    }
    if (request.frequencyPenalty !== undefined) {
      if (dialect.penaltiesAndSeed) body.frequency_penalty = request.frequencyPenalty;
      else dropped.push("frequencyPenalty");
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
  if (request.maxOutputTokens !== undefined) {
    body[reasoning ? "max_completion_tokens" : dialect.maxTokensField] = request.maxOutputTokens;
  }
  if (request.stop?.length) body.stop = request.stop;
  return dropped;
}

export function buildOpenAIChatBody(
  request: CompletionRequest,
  deploymentName: string,
  dialect: OpenAIDialect,
): RequestPlan<OpenAIChatBody> {
  checkDialectSupport(request, dialect);
  const body: OpenAIChatBody = {
    model: deploymentName,
    messages: convertToOpenAIMessages(request.messages, { joinTextParts: dialect.contentParts === false }),
    stream: request.stream,
  };
  const dropped = applyGenerationParameters(request, deploymentName, dialect, body);

  const offer = toolOffer(request);
  if (offer) {
    body.tools = offer.tools.map((t) => ({ type: "function", function: t }));
    if (offer.choice !== undefined) {
      body.tool_choice = typeof offer.choice === "string" ? offer.choice : { type: "function", function: { name: offer.choice.name } };
    }
  }
  const format = request.responseFormat;
  if (format) {
    body.response_format =
      format.type === "json_schema"
        ? {
            type: "json_schema",
            json_schema: {
              name: format.name ?? "response",
              schema: format.schema,
              ...(format.strict !== undefined && { strict: format.strict }),
            },
          }
        : { type: format.type };
  }
  if (request.reasoningEffort !== undefined) {
    if (dialect.reasoningEffort) body.reasoning_effort = request.reasoningEffort;
    else dropped.push("reasoningEffort");
  }
  return { body, warnings: dropped };
}
