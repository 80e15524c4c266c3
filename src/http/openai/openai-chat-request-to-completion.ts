/**
 * An OpenAI Chat Completions request as our completion request. Fields with a counterpart are
 * translated; hints the OpenAI API itself treats as optional are ignored; anything else is
 * refused with a 400 naming the field, so no client believes a setting took effect when it did not.
 */
import { Value } from "@sinclair/typebox/value";
import { GatewayError, type FieldProblem } from "../../core/errors";
import { CompletionRequestSchema, normalizeRequest, type CompletionRequest, type RawCompletionRequest } from "../../core/request";
import { explainRequestProblems } from "../request-problems";

type Json = Record<string, unknown>;

/** Accepted and ignored: hints (or storage/billing options of OpenAI's own) with no effect on the answer. */
const IGNORED = new Set([
  "parallel_tool_calls",
  "store",
  "metadata",
  "service_tier",
  "prompt_cache_key",
  "prompt_cache_retention",
  "safety_identifier",
  "verbosity",
]);

const TRANSLATED = new Set([
  "model",
  "messages",
  "tools",
  "tool_choice",
  "max_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "stop",
  "seed",
  "presence_penalty",
  "frequency_penalty",
  "response_format",
  "reasoning_effort",
  "stream",
  "stream_options",
  "user",
]);

export interface OpenAIChatRequest {
  request: CompletionRequest;
  includeUsage: boolean;
}

class Problems {
  readonly list: FieldProblem[] = [];
  add(field: string, message: string): void {
    this.list.push({ field, message });
  }
}

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

export function openAIChatRequestToCompletion(body: unknown): OpenAIChatRequest {
  if (!isObject(body)) throw invalid([{ field: "body", message: "must be a JSON object" }]);
  const problems = new Problems();
  for (const [key, value] of Object.entries(body)) {
    if (TRANSLATED.has(key) || IGNORED.has(key) || value === null || value === undefined) continue;
    refuseUnsupported(key, value, problems);
  }
  const raw: Json = { model: body.model, messages: translateMessages(body.messages, problems) };
  if (body.stream !== undefined && body.stream !== null) raw.stream = body.stream;
  copy(body, raw, "temperature", "temperature");
  copy(body, raw, "top_p", "topP");
  copy(body, raw, "seed", "seed");
  copy(body, raw, "presence_penalty", "presencePenalty");
  copy(body, raw, "frequency_penalty", "frequencyPenalty");
  copy(body, raw, "reasoning_effort", "reasoningEffort");
  copy(body, raw, "stop", "stop");
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens !== undefined && maxTokens !== null) raw.maxOutputTokens = maxTokens;
  if (body.tools !== undefined && body.tools !== null) raw.tools = translateTools(body.tools, problems);
  if (body.tool_choice !== undefined && body.tool_choice !== null) raw.toolChoice = translateToolChoice(body.tool_choice, problems);
  if (body.response_format !== undefined && body.response_format !== null)
    raw.responseFormat = translateResponseFormat(body.response_format, problems);
  if (typeof body.user === "string" && body.user.length > 0) raw.context = { user: body.user };
  let includeUsage = false;
  if (body.stream_options !== undefined && body.stream_options !== null) {
    if (!isObject(body.stream_options)) problems.add("stream_options", "must be an object");
    else includeUsage = body.stream_options.include_usage === true;
  }
  if (problems.list.length > 0) throw invalid(problems.list);
  if (!Value.Check(CompletionRequestSchema, raw)) throw invalid(explainRequestProblems(raw).map(openAIField));
  return { request: normalizeRequest(raw as RawCompletionRequest), includeUsage };
}

function invalid(details: FieldProblem[]): GatewayError {
  const message = details.length
    ? details.map((d) => `${d.field}: ${d.message}`).join("; ")
    : "request body is not a valid chat completion request";
  return new GatewayError("invalid_request", message, { details });
}

/** Our field names back into OpenAI's, for the messages of the schema check. */
const OUR_TO_OPENAI: Record<string, string> = {
  topP: "top_p",
  topK: "top_k",
  maxOutputTokens: "max_completion_tokens",
  presencePenalty: "presence_penalty",
  frequencyPenalty: "frequency_penalty",
  toolChoice: "tool_choice",
  responseFormat: "response_format",
  reasoningEffort: "reasoning_effort",
  toolCalls: "tool_calls",
  toolCallId: "tool_call_id",
};

function openAIField(problem: FieldProblem): FieldProblem {
  return { ...problem, field: problem.field.replace(/[A-Za-z]+/g, (name) => OUR_TO_OPENAI[name] ?? name) };
}

function copy(from: Json, to: Json, key: string, ours: string): void {
  if (from[key] !== undefined && from[key] !== null) to[ours] = from[key];
}

function refuseUnsupported(key: string, value: unknown, problems: Problems): void {
  switch (key) {
    case "n":
      if (value !== 1) problems.add("n", "only one choice per request is supported");
      return;
    case "logprobs":
      if (value !== false) problems.add("logprobs", "log probabilities are not supported");
      return;
    case "logit_bias":
      if (!isObject(value) || Object.keys(value).length > 0) problems.add("logit_bias", "is not supported");
      return;
    case "modalities":
      if (!Array.isArray(value) || value.some((m) => m !== "text")) problems.add("modalities", "only text output is supported");
      return;
    case "functions":
    case "function_call":
      problems.add(key, "is deprecated and not supported: use tools and tool_choice");
      return;
    default:
      problems.add(key, "is not supported by this service");
  }
}

function textOf(content: unknown, field: string, problems: Problems): string | null {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) {
    problems.add(field, "must be a string or an array of text parts");
    return null;
  }
  const texts: string[] = [];
  content.forEach((part, i) => {
    if (isObject(part) && part.type === "text" && typeof part.text === "string") texts.push(part.text);
    else if (isObject(part) && part.type === "refusal" && typeof part.refusal === "string") texts.push(part.refusal);
    else problems.add(`${field}[${i}]`, "only text parts are supported here");
  });
  return texts.join("");
}

function translateMessages(messages: unknown, problems: Problems): unknown {
  if (!Array.isArray(messages)) return messages; // the schema check names it
  return messages.map((m, i) => {
    const field = `messages[${i}]`;
    if (!isObject(m)) return m;
    switch (m.role) {
      case "system":
      case "developer":
        return { role: m.role, content: textOf(m.content, `${field}.content`, problems) };
      case "user":
        return { role: "user", content: userContent(m.content, `${field}.content`, problems) };
      case "assistant": {
        if (m.function_call !== undefined && m.function_call !== null)
          problems.add(`${field}.function_call`, "is deprecated and not supported: use tool_calls");
        if (m.audio !== undefined && m.audio !== null) problems.add(`${field}.audio`, "is not supported");
        const out: Json = { role: "assistant" };
        out.content = m.content === undefined || m.content === null ? null : textOf(m.content, `${field}.content`, problems);
        if (m.content === null && typeof m.refusal === "string") out.content = m.refusal;
        if (Array.isArray(m.tool_calls) && m.tool_calls.length > 0) {
          out.toolCalls = m.tool_calls.map((call: unknown, j: number) => {
            const fn = isObject(call) && isObject(call.function) ? call.function : null;
            if (!fn || (call as Json).type !== "function") {
              problems.add(`${field}.tool_calls[${j}]`, "must be a function call");
              return call;
            }
            return { id: (call as Json).id, name: fn.name, arguments: fn.arguments };
          });
        }
        return out;
      }
      case "tool":
        return { role: "tool", toolCallId: m.tool_call_id, content: textOf(m.content, `${field}.content`, problems) };
      case "function":
        problems.add(`${field}.role`, "function messages are deprecated and not supported: use tool messages");
        return m;
      default:
        problems.add(`${field}.role`, "must be system, developer, user, assistant or tool");
        return m;
    }
  });
}

function userContent(content: unknown, field: string, problems: Problems): unknown {
  if (typeof content === "string" || !Array.isArray(content)) return content;
  return content.map((part, i) => {
    if (!isObject(part)) return part;
    if (part.type === "text") return { type: "text", text: part.text };
    if (part.type === "image_url") {
      const url = isObject(part.image_url) ? part.image_url.url : part.image_url;
      return { type: "image", url };
    }
    problems.add(`${field}[${i}]`, `${String(part.type)} parts are not supported; text and image_url are`);
    return part;
  });
}

function translateTools(tools: unknown, problems: Problems): unknown {
  if (!Array.isArray(tools)) return tools;
  return tools.map((tool, i) => {
    if (!isObject(tool) || tool.type !== "function" || !isObject(tool.function)) {
      problems.add(`tools[${i}]`, "only function tools are supported");
      return tool;
    }
    const { name, description, parameters } = tool.function;
    // `strict` is OpenAI's own guarantee of schema-valid arguments: a hint other providers do not give.
    const out: Json = { name };
    if (description !== undefined) out.description = description;
    if (parameters !== undefined) out.parameters = parameters;
    return out;
  });
}

function translateToolChoice(choice: unknown, problems: Problems): unknown {
  if (typeof choice === "string") return choice;
  if (isObject(choice) && choice.type === "function" && isObject(choice.function)) return { name: choice.function.name };
  problems.add("tool_choice", 'must be "auto", "none", "required" or {"type":"function","function":{"name":…}}');
  return choice;
}

function translateResponseFormat(format: unknown, problems: Problems): unknown {
  if (!isObject(format)) return format;
  if (format.type === "json_schema") {
    const spec = isObject(format.json_schema) ? format.json_schema : null;
    if (!spec) {
      problems.add("response_format.json_schema", "is required for type json_schema");
      return format;
    }
    const out: Json = { type: "json_schema", schema: spec.schema ?? {} };
    if (spec.name !== undefined) out.name = spec.name;
    if (typeof spec.strict === "boolean") out.strict = spec.strict;
    return out;
  }
  return { type: format.type };
}
