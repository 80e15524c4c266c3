/** Our request → the body of Ollama's native `POST /api/chat`. */
import type { CompletionRequest, Tool } from "../../core/request";
import type { RequestPlan } from "../provider-runner";
import { toolOffer } from "../tool-offer";
import { convertToOllamaMessages, type OllamaMessage } from "./convert-to-ollama-messages";

export interface OllamaOptions {
  num_predict?: number;
  temperature?: number;
  top_k?: number;
  top_p?: number;
  stop?: string[];
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
}

export interface OllamaChatBody {
  model: string;
  messages: OllamaMessage[];
  /** Always sent: Ollama streams when it is left out. */
  stream: boolean;
  tools?: { type: "function"; function: { name: string; description?: string; parameters?: Record<string, unknown> } }[];
  /** `"json"` for any JSON, or a JSON Schema the answer must follow. */
  format?: "json" | Record<string, unknown>;
  options?: OllamaOptions;
  /** A level for models with levels (gpt-oss); other thinking models read any level as "on". */
  think?: "low" | "medium" | "high";
}

export function buildOllamaChatBody(request: CompletionRequest, deploymentName: string): RequestPlan<OllamaChatBody> {
  const body: OllamaChatBody = {
    model: deploymentName,
    messages: convertToOllamaMessages(request.messages),
    stream: request.stream,
  };
  const options: OllamaOptions = {};
  if (request.maxOutputTokens !== undefined) options.num_predict = request.maxOutputTokens;
  if (request.temperature !== undefined) options.temperature = request.temperature;
  if (request.topK !== undefined) options.top_k = request.topK;
  if (request.topP !== undefined) options.top_p = request.topP;
  if (request.stop?.length) options.stop = request.stop;
  if (request.seed !== undefined) options.seed = request.seed;
  if (request.presencePenalty !== undefined) options.presence_penalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) options.frequency_penalty = request.frequencyPenalty;
  for (const _ in options) {
    body.options = options;
    break;
  }

  const warnings: string[] = [];
  const tools = offeredTools(request, warnings);
  if (tools?.length) body.tools = tools.map((t) => ({ type: "function", function: t }));

  const format = request.responseFormat;
  if (format?.type === "json_object") body.format = "json";
  else if (format?.type === "json_schema") body.format = format.schema;

  if (request.reasoningEffort !== undefined) body.think = request.reasoningEffort;
  return { body, warnings };
}

/**
 * Ollama has no tool choice. `none` is honoured by offering no tools; a named tool by offering
 * only that one (the model may still answer in text); `required` cannot be enforced.
 */
function offeredTools(request: CompletionRequest, warnings: string[]): Tool[] | undefined {
  const offer = toolOffer(request);
  if (!offer) return undefined;
  const choice = offer.choice;
  if (choice === undefined || choice === "auto") return offer.tools;
  if (choice === "none") return undefined;
  warnings.push(`toolChoice ${typeof choice === "string" ? choice : `"${choice.name}"`} (cannot be enforced)`);
  if (choice === "required") return offer.tools;
  return offer.tools.filter((t) => t.name === choice.name);
}
