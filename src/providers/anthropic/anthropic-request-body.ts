/**
 * Our request → the Anthropic Messages body, shared by `anthropic` and `anthropic_bedrock`
 * (Bedrock sends the same body with `anthropic_version` instead of `model` and `stream`).
 *
 * Decisions (documented in docs/providers-anthropic.md):
 * - `max_tokens` is required upstream: `maxOutputTokens`, else `DEFAULT_MAX_TOKENS`.
 * - `temperature` above Anthropic's maximum of 1 is clamped to 1 (debug log), not rejected, so a
 *   request valid for the contract stays valid on every target of a route.
 * - JSON output (`responseFormat` json_schema / json_object) is a forced tool, `json_response`,
 *   whose input is the answer; the translator turns it back into text and finish `stop`.
 * - `reasoningEffort` → `thinking` with a token budget; `max_tokens` is raised above the budget
 *   when it would not leave room for an answer, and the sampling parameters thinking forbids are
 *   dropped. Thinking is dropped (debug log) where Anthropic forbids it: with a forced tool, and
 *   when continuing a tool-use turn (we cannot replay the thinking blocks it would require).
 */
import { invalid } from "../invalid-field";
import type { CompletionRequest, ResponseFormat, Tool } from "../../core/request";
import type { RequestPlan } from "../provider-runner";
import { toolOffer } from "../tool-offer";
import { convertToAnthropicMessages, type AnthropicMessage } from "./convert-to-anthropic-messages";

export const DEFAULT_MAX_TOKENS = 4096;
export const MAX_TEMPERATURE = 1;
/** Thinking budget per `reasoningEffort`; Anthropic's minimum is 1024. */
export const THINKING_BUDGET = { low: 1024, medium: 4096, high: 16384 } as const;
/** Lowest `top_p` Anthropic accepts together with thinking. */
const THINKING_MIN_TOP_P = 0.95;
/** The forced tool that carries a JSON answer. */
export const JSON_TOOL_NAME = "json_response";

export interface AnthropicTool {
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
}

export type AnthropicToolChoice = { type: "auto" } | { type: "any" } | { type: "none" } | { type: "tool"; name: string };

/** The provider-neutral part of the body; the adapters add `model`/`stream` or `anthropic_version`. */
export interface AnthropicMessagesBody {
  max_tokens: number;
  messages: AnthropicMessage[];
  system?: string;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  thinking?: { type: "enabled"; budget_tokens: number };
}

export interface AnthropicRequestPlan extends RequestPlan<AnthropicMessagesBody> {
  /** Name of the forced tool whose input is the answer text, when JSON output was asked for. */
  jsonToolName: string | null;
}

function objectSchema(schema: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!schema) return { type: "object", properties: {} };
  return schema.type === undefined ? { type: "object", ...schema } : schema;
}

function toAnthropicTool(tool: Tool): AnthropicTool {
  const out: AnthropicTool = { name: tool.name, input_schema: objectSchema(tool.parameters) };
  if (tool.description !== undefined) out.description = tool.description;
  return out;
}

function jsonTool(format: Exclude<ResponseFormat, { type: "text" }>): AnthropicTool {
  const schema = format.type === "json_schema" ? objectSchema(format.schema) : { type: "object", additionalProperties: true };
  const what = format.type === "json_schema" && format.name ? ` "${format.name}"` : "";
  return {
    name: JSON_TOOL_NAME,
    description: `Give your final answer${what} by calling this tool: its input is the whole answer, as JSON.`,
    input_schema: schema,
  };
}

export function buildAnthropicMessagesBody(request: CompletionRequest, providerType: string): AnthropicRequestPlan {
  const prompt = convertToAnthropicMessages(request.messages);
  const body: AnthropicMessagesBody = { max_tokens: request.maxOutputTokens ?? DEFAULT_MAX_TOKENS, messages: prompt.messages };
  if (prompt.system !== undefined) body.system = prompt.system;
  const dropped: string[] = [];
  const adjusted: string[] = [];

  // Tools, tool choice and JSON output.
  const offer = toolOffer(request);
  const tools = offer?.tools.map(toAnthropicTool) ?? [];
  const choice = offer?.choice;
  const format = request.responseFormat;
  let jsonToolName: string | null = null;
  if (format && format.type !== "text") {
    if (tools.some((t) => t.name === JSON_TOOL_NAME)) {
      throw invalid("tools", `the tool name "${JSON_TOOL_NAME}" is reserved for JSON output on ${providerType}`);
    }
    jsonToolName = JSON_TOOL_NAME;
    body.tools = [...tools, jsonTool(format)];
    if (typeof choice === "object") body.tool_choice = { type: "tool", name: choice.name };
    else if (tools.length > 0 && choice !== "none")
      body.tool_choice = { type: "any" }; // a real tool or the answer
    else body.tool_choice = { type: "tool", name: JSON_TOOL_NAME };
  } else if (tools.length > 0) {
    body.tools = tools;
    if (choice === "auto") body.tool_choice = { type: "auto" };
    else if (choice === "required") body.tool_choice = { type: "any" };
    else if (choice === "none") body.tool_choice = { type: "none" };
    else if (typeof choice === "object") body.tool_choice = { type: "tool", name: choice.name };
  }

  // Thinking, where Anthropic allows it.
  let thinking = false;
  if (request.reasoningEffort !== undefined) {
    const forced = body.tool_choice?.type === "any" || body.tool_choice?.type === "tool";
    const last = body.messages[body.messages.length - 1];
    const continuingToolUse = last?.role === "user" && last.content.some((b) => b.type === "tool_result");
    if (forced || continuingToolUse) {
      dropped.push("reasoningEffort");
    } else {
      thinking = true;
      const budget = THINKING_BUDGET[request.reasoningEffort];
      body.thinking = { type: "enabled", budget_tokens: budget };
      // `max_tokens` counts thinking too; keep room for the answer.
      if (body.max_tokens <= budget) body.max_tokens = budget + (request.maxOutputTokens ?? DEFAULT_MAX_TOKENS);
    }
  }

  // Sampling.
  if (request.temperature !== undefined) {
    if (thinking) dropped.push("temperature");
    else if (request.temperature > MAX_TEMPERATURE) {
      body.temperature = MAX_TEMPERATURE;
      adjusted.push(`temperature ${request.temperature} → ${MAX_TEMPERATURE}`);
    } else body.temperature = request.temperature;
  }
  if (request.topP !== undefined) {
    if (thinking && request.topP < THINKING_MIN_TOP_P) dropped.push("topP");
    else body.top_p = request.topP;
  }
  if (request.topK !== undefined) {
    if (thinking) dropped.push("topK");
    else body.top_k = request.topK;
  }
  if (request.stop?.length) body.stop_sequences = request.stop;
  if (request.seed !== undefined) dropped.push("seed");
  if (request.presencePenalty !== undefined) dropped.push("presencePenalty");
  if (request.frequencyPenalty !== undefined) dropped.push("frequencyPenalty");

  return { body, jsonToolName, warnings: dropped.concat(adjusted) };
}
