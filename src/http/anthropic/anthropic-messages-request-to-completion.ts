/**
 * An Anthropic Messages request as our completion request. Fields with a counterpart are
 * translated; hints Anthropic's API treats as optional (cache control, metadata other than the
 * user id, the service tier) are ignored; anything else is refused with a 400 naming the field.
 */
import { Value } from "@sinclair/typebox/value";
import { GatewayError, type FieldProblem } from "../../core/errors";
import { CompletionRequestSchema, normalizeRequest, type CompletionRequest, type RawCompletionRequest } from "../../core/request";
import { explainRequestProblems } from "../request-problems";

type Json = Record<string, unknown>;

const TRANSLATED = new Set([
  "model",
  "max_tokens",
  "messages",
  "system",
  "tools",
  "tool_choice",
  "stop_sequences",
  "temperature",
  "top_p",
  "top_k",
  "stream",
  "metadata",
  "thinking",
]);
const IGNORED = new Set(["service_tier"]);

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

type Problems = FieldProblem[];

export function anthropicMessagesRequestToCompletion(body: unknown): CompletionRequest {
  if (!isObject(body)) throw invalid([{ field: "body", message: "must be a JSON object" }]);
  const problems: Problems = [];
  for (const key of Object.keys(body)) {
    if (!TRANSLATED.has(key) && !IGNORED.has(key) && body[key] !== undefined)
      problems.push({ field: key, message: "is not supported by this service" });
  }
  if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1)
    problems.push({ field: "max_tokens", message: "is required: a positive integer" });
  const messages: unknown[] = [];
  if (body.system !== undefined) {
    const system = textOf(body.system, "system", problems);
    if (system !== null && system.length > 0) messages.push({ role: "system", content: system });
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    problems.push({ field: "messages", message: "must be a non-empty array" });
  else body.messages.forEach((m, i) => messages.push(...translateMessage(m, `messages[${i}]`, problems)));

  const raw: Json = { model: body.model, messages, maxOutputTokens: body.max_tokens };
  if (body.stream !== undefined) raw.stream = body.stream;
  if (body.temperature !== undefined) raw.temperature = body.temperature;
  if (body.top_p !== undefined) raw.topP = body.top_p;
  if (body.top_k !== undefined) raw.topK = body.top_k;
  if (body.stop_sequences !== undefined) raw.stop = body.stop_sequences;
  if (body.tools !== undefined) raw.tools = translateTools(body.tools, problems);
  if (body.tool_choice !== undefined) raw.toolChoice = translateToolChoice(body.tool_choice, problems);
  if (body.thinking !== undefined) {
    const effort = reasoningEffort(body.thinking, problems);
    if (effort) raw.reasoningEffort = effort;
  }
  if (isObject(body.metadata) && typeof body.metadata.user_id === "string") raw.context = { user: body.metadata.user_id };
  if (problems.length > 0) throw invalid(problems);
  if (!Value.Check(CompletionRequestSchema, raw)) throw invalid(explainRequestProblems(raw).map(anthropicField));
  return normalizeRequest(raw as RawCompletionRequest);
}

function invalid(details: FieldProblem[]): GatewayError {
  const message = details.length
    ? details.map((d) => `${d.field}: ${d.message}`).join("; ")
    : "request body is not a valid Messages request";
  return new GatewayError("invalid_request", message, { details });
}

const OURS_TO_ANTHROPIC: Record<string, string> = {
  topP: "top_p",
  topK: "top_k",
  maxOutputTokens: "max_tokens",
  stop: "stop_sequences",
  toolChoice: "tool_choice",
};

function anthropicField(problem: FieldProblem): FieldProblem {
  return { ...problem, field: problem.field.replace(/^[A-Za-z]+/, (name) => OURS_TO_ANTHROPIC[name] ?? name) };
}

/** A string, or text blocks (their `cache_control` ignored). */
function textOf(content: unknown, field: string, problems: Problems): string | null {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) {
    problems.push({ field, message: "must be a string or an array of text blocks" });
    return null;
  }
  const texts: string[] = [];
  content.forEach((block, i) => {
    if (isObject(block) && block.type === "text" && typeof block.text === "string") texts.push(block.text);
    else problems.push({ field: `${field}[${i}]`, message: "only text blocks are supported here" });
  });
  return texts.join("\n");
}

function imageUrl(block: Json, field: string, problems: Problems): string | null {
  const source = isObject(block.source) ? block.source : null;
  if (source?.type === "base64" && typeof source.media_type === "string" && typeof source.data === "string") {
    return `data:${source.media_type};base64,${source.data}`;
  }
  if (source?.type === "url" && typeof source.url === "string") return source.url;
  problems.push({ field: `${field}.source`, message: "must be a base64 or url image source" });
  return null;
}

/**
 * One Anthropic message as ours: a user turn's `tool_result` blocks become tool messages (first,
 * as they answer the previous turn's calls), its other blocks one user message; an assistant
 * turn's `tool_use` blocks become its tool calls. Thinking blocks from earlier turns are dropped.
 */
function translateMessage(message: unknown, field: string, problems: Problems): unknown[] {
  if (!isObject(message)) {
    problems.push({ field, message: "must be an object" });
    return [];
  }
  const { role, content } = message;
  if (role !== "user" && role !== "assistant") {
    problems.push({ field: `${field}.role`, message: "must be user or assistant" });
    return [];
  }
  if (typeof content === "string") return [{ role, content }];
  if (!Array.isArray(content)) {
    problems.push({ field: `${field}.content`, message: "must be a string or an array of content blocks" });
    return [];
  }
  if (role === "assistant") {
    const texts: string[] = [];
    const toolCalls: unknown[] = [];
    content.forEach((block, i) => {
      const at = `${field}.content[${i}]`;
      if (!isObject(block)) return problems.push({ field: at, message: "must be a content block" });
      if (block.type === "text") texts.push(String(block.text ?? ""));
      else if (block.type === "tool_use") toolCalls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) });
      else if (block.type === "thinking" || block.type === "redacted_thinking") return;
      else problems.push({ field: at, message: `${String(block.type)} blocks are not supported; text and tool_use are` });
    });
    const out: Json = { role: "assistant", content: texts.length > 0 ? texts.join("") : null };
    if (toolCalls.length > 0) out.toolCalls = toolCalls;
    return [out];
  }
  const results: unknown[] = [];
  const parts: unknown[] = [];
  content.forEach((block, i) => {
    const at = `${field}.content[${i}]`;
    if (!isObject(block)) return problems.push({ field: at, message: "must be a content block" });
    if (block.type === "text") parts.push({ type: "text", text: block.text });
    else if (block.type === "image") {
      const url = imageUrl(block, at, problems);
      if (url !== null) parts.push({ type: "image", url });
    } else if (block.type === "tool_result") {
      const text = block.content === undefined ? "" : textOf(block.content, `${at}.content`, problems);
      // Our tool messages have no error flag: the model is told in the text.
      const content = block.is_error === true ? `Error: ${text ?? ""}` : (text ?? "");
      results.push({ role: "tool", toolCallId: block.tool_use_id, content });
    } else problems.push({ field: at, message: `${String(block.type)} blocks are not supported; text, image and tool_result are` });
  });
  return parts.length > 0 ? [...results, { role: "user", content: parts }] : results;
}

function translateTools(tools: unknown, problems: Problems): unknown {
  if (!Array.isArray(tools)) return tools;
  return tools.map((tool, i) => {
    if (!isObject(tool) || (tool.type !== undefined && tool.type !== "custom") || typeof tool.name !== "string") {
      problems.push({ field: `tools[${i}]`, message: "only client tools (name, description, input_schema) are supported" });
      return tool;
    }
    const out: Json = { name: tool.name };
    if (tool.description !== undefined) out.description = tool.description;
    if (tool.input_schema !== undefined) out.parameters = tool.input_schema;
    return out;
  });
}

/** `disable_parallel_tool_use` is a hint with no counterpart: ignored. */
function translateToolChoice(choice: unknown, problems: Problems): unknown {
  if (isObject(choice)) {
    if (choice.type === "auto") return "auto";
    if (choice.type === "any") return "required";
    if (choice.type === "none") return "none";
    if (choice.type === "tool" && typeof choice.name === "string") return { name: choice.name };
  }
  problems.push({ field: "tool_choice", message: 'must be {"type":"auto"}, {"type":"any"}, {"type":"none"} or {"type":"tool","name":…}' });
  return choice;
}

/** Extended thinking's token budget as our reasoning effort: the nearest of low, medium, high. */
function reasoningEffort(thinking: unknown, problems: Problems): string | null {
  if (isObject(thinking) && thinking.type === "disabled") return null;
  if (isObject(thinking) && thinking.type === "enabled" && typeof thinking.budget_tokens === "number") {
    const budget = thinking.budget_tokens;
    return budget < 4096 ? "low" : budget < 16384 ? "medium" : "high";
  }
  problems.push({ field: "thinking", message: 'must be {"type":"enabled","budget_tokens":n} or {"type":"disabled"}' });
  return null;
}
