/**
 * Explains why a completion request is invalid, one entry per bad field, with a hint for the
 * usual misspellings. Only runs on the error path: valid requests are checked by the route's
 * compiled TypeBox schema alone.
 *
 * At most `MAX_LISTED_PROBLEMS` are listed, then one entry counts the rest: a body of 200,000 bad
 * messages must not take seconds to explain nor get an answer larger than itself. Past the cap,
 * messages and tools are only checked (compiled schemas), one count each, not explained.
 */
import type { TSchema } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { Value } from "@sinclair/typebox/value";
import { GatewayError, type FieldProblem } from "../core/errors";
import { Type as T } from "@sinclair/typebox";
import {
  AssistantMessage,
  Message,
  CompletionRequestSchema,
  ImagePart,
  OpenAIToolDefinition,
  ResponseFormat,
  SystemMessage,
  TextPart,
  ToolChoice,
  ToolDefinition,
  ToolMessage,
  UserMessage,
} from "../core/request";

const HINTS: Record<string, string> = {
  max_tokens: "maxOutputTokens",
  maxTokens: "maxOutputTokens",
  max_completion_tokens: "maxOutputTokens",
  max_output_tokens: "maxOutputTokens",
  maxCompletionTokens: "maxOutputTokens",
  top_p: "topP",
  top_k: "topK",
  tool_choice: "toolChoice",
  response_format: "responseFormat",
  presence_penalty: "presencePenalty",
  frequency_penalty: "frequencyPenalty",
  reasoning_effort: "reasoningEffort",
  stop_sequences: "stop",
  stopSequences: "stop",
  tool_calls: "toolCalls",
  tool_call_id: "toolCallId",
  functions: "tools",
  metadata: "context",
  streaming: "stream",
  input_schema: "parameters",
  inputSchema: "parameters",
  image_url: "url",
};

/** `known` null: the schema's keys are not at hand (nested object); trust the hint table. */
function unknownField(path: string, key: string, known: string[] | null): FieldProblem {
  let hint = HINTS[key];
  if (known && (!hint || !known.includes(hint))) {
    const folded = key.replace(/[_-]/g, "").toLowerCase();
    hint = known.find((k) => k.toLowerCase() === folded) ?? (HINTS[key] && known.includes(HINTS[key]!) ? HINTS[key] : undefined);
  }
  const field = path ? `${path}.${key}` : key;
  return { field, message: hint ? `unknown field "${key}" — did you mean "${hint}"?` : `unknown field "${key}"` };
}

function join(path: string, pointer: string): string {
  let out = path;
  for (const seg of pointer.split("/").filter(Boolean)) out += /^\d+$/.test(seg) ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

function schemaKeys(schema: TSchema): string[] {
  return Object.keys((schema as { properties?: Record<string, unknown> }).properties ?? {});
}

/** Checks a value against a closed object schema, reporting unknown keys with hints. */
function checkObject(schema: TSchema, value: unknown, path: string, out: FieldProblem[]): void {
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    out.push({ field: path || "body", message: "must be an object" });
    return;
  }
  const known = schemaKeys(schema);
  for (const key of Object.keys(value)) {
    if (out.length > MAX_LISTED_PROBLEMS) return; // one past the cap: the rest is "more"
    if (!known.includes(key)) out.push(unknownField(path, key, known));
  }
  const seen = new Set<string>();
  for (const e of Value.Errors(schema, value)) {
    if (out.length > MAX_LISTED_PROBLEMS) return;
    if (e.message === "Unexpected property") {
      const segments = e.path.split("/");
      // Top-level keys were reported above with the schema's own key list.
      if (segments.length > 2) out.push(unknownField(join(path, segments.slice(0, -1).join("/")), segments.at(-1)!, null));
      continue;
    }
    const field = join(path, e.path) || "body";
    // One message per field: TypeBox reports each failed union branch.
    if (seen.has(field)) continue;
    seen.add(field);
    out.push({ field, message: describe(e.message, e.schema) });
  }
}

function describe(message: string, schema: TSchema): string {
  const anyOf = (schema as unknown as { anyOf?: { const?: unknown; type?: string }[] }).anyOf;
  if (message === "Expected union value" && Array.isArray(anyOf)) {
    const options = anyOf.map((s) => (s.const !== undefined ? JSON.stringify(s.const) : s.type)).filter(Boolean);
    return `must be one of: ${[...new Set(options)].join(", ")}`;
  }
  if (message === "Expected required property") return "is required";
  const rules: [RegExp, string][] = [
    [/^Expected string length greater or equal to 1$/, "must not be empty"],
    [/^Expected string length greater or equal to (\d+)$/, "must be at least $1 characters"],
    [/^Expected (?:number|integer) to be less or equal to (.+)$/, "must be at most $1"],
    [/^Expected (?:number|integer) to be greater or equal to (.+)$/, "must be at least $1"],
    [/^Expected (?:number|integer) to be greater than (.+)$/, "must be greater than $1"],
    [/^Expected array length greater or equal to 1$/, "must not be empty"],
    [/^Expected (integer|array|object)$/, "must be an $1"],
    [/^Expected (string|number|boolean)$/, "must be a $1"],
  ];
  for (const [pattern, replacement] of rules) if (pattern.test(message)) return message.replace(pattern, replacement);
  return message.replace(/^Expected /, "must be ");
}

const MESSAGE_BY_ROLE: Record<string, TSchema> = {
  system: SystemMessage,
  developer: SystemMessage,
  user: UserMessage,
  assistant: AssistantMessage,
  tool: ToolMessage,
};

export const MAX_LISTED_PROBLEMS = 20;

/** Past the cap, each further message and tool is only checked, with these. */
const counters = {
  message: TypeCompiler.Compile(Message),
  tool: TypeCompiler.Compile(T.Union([ToolDefinition, OpenAIToolDefinition])),
};

/** Problems found, and how many more were counted past the cap without being explained. */
interface Findings {
  out: FieldProblem[];
  unlisted: number;
}

const full = (f: Findings) => f.out.length >= MAX_LISTED_PROBLEMS;

/** The 400 for a body that breaks the contract, its problems explained. */
export function invalidRequest(body: unknown): GatewayError {
  const details = explainRequestProblems(body);
  return new GatewayError(
    "invalid_request",
    details.length ? details.map((d) => `${d.field}: ${d.message}`).join("; ") : "request body does not match the contract",
    { details },
  );
}

export function explainRequestProblems(body: unknown): FieldProblem[] {
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    return [{ field: "body", message: "must be a JSON object" }];
  }
  const findings: Findings = { out: [], unlisted: 0 };
  explainBody(body as Record<string, unknown>, findings);
  const { out } = findings;
  const unlisted = findings.unlisted + Math.max(0, out.length - MAX_LISTED_PROBLEMS);
  if (unlisted === 0) return out;
  out.length = MAX_LISTED_PROBLEMS;
  out.push({
    field: "body",
    message: `${unlisted} more problem${unlisted === 1 ? "" : "s"} not listed (at least; the first ${MAX_LISTED_PROBLEMS} are)`,
  });
  return out;
}

function explainBody(b: Record<string, unknown>, findings: Findings): void {
  const { out } = findings;
  const topKnown = schemaKeys(CompletionRequestSchema);
  for (const key of Object.keys(b)) {
    if (topKnown.includes(key)) continue;
    if (full(findings)) findings.unlisted++;
    else out.push(unknownField("", key, topKnown));
  }
  const props = (CompletionRequestSchema as unknown as { properties: Record<string, TSchema> }).properties;
  const required = ["model", "messages"];
  for (const key of required) if (b[key] === undefined) out.push({ field: key, message: "is required" });

  for (const key of topKnown) {
    const value = b[key];
    if (value === undefined) continue;
    switch (key) {
      case "messages":
        explainMessages(value, findings);
        break;
      case "tools":
        explainTools(value, findings);
        break;
      case "responseFormat":
        explainResponseFormat(value, out);
        break;
      case "toolChoice":
        if (!Value.Check(ToolChoice, value)) {
          out.push({ field: "toolChoice", message: 'must be "auto", "none", "required" or { "name": "<tool>" }' });
        }
        break;
      default: {
        const schema = props[key]!;
        for (const e of Value.Errors(schema, value)) {
          out.push({ field: join(key, e.path), message: describe(e.message, e.schema) });
          break;
        }
      }
    }
  }
}

function explainMessages(value: unknown, findings: Findings): void {
  const { out } = findings;
  if (!Array.isArray(value)) return void out.push({ field: "messages", message: "must be an array" });
  if (value.length === 0) return void out.push({ field: "messages", message: "must have at least one message" });
  value.forEach((m, i) => {
    if (full(findings)) {
      if (!counters.message.Check(m)) findings.unlisted++;
      return;
    }
    const path = `messages[${i}]`;
    const role = (m as { role?: unknown } | null)?.role;
    const schema = typeof role === "string" ? MESSAGE_BY_ROLE[role] : undefined;
    if (!schema) {
      out.push({ field: `${path}.role`, message: 'must be one of: "system", "developer", "user", "assistant", "tool"' });
      return;
    }
    if (role === "user" && Array.isArray((m as { content?: unknown }).content)) {
      const parts = (m as { content: unknown[] }).content;
      if (parts.length === 0) out.push({ field: `${path}.content`, message: "must have at least one part" });
      parts.forEach((p, j) => {
        const type = (p as { type?: unknown } | null)?.type;
        const partPath = `${path}.content[${j}]`;
        if (type === "text") checkObject(TextPart, p, partPath, out);
        else if (type === "image") {
          checkObject(ImagePart, p, partPath, out);
        } else out.push({ field: `${partPath}.type`, message: 'must be "text" or "image"' });
      });
      const rest = { ...(m as object), content: "" };
      checkObject(UserMessage, rest, path, out);
      return;
    }
    checkObject(schema, m, path, out);
  });
  for (const p of out) {
    if (/\.content\[\d+\]\.url$/.test(p.field) && p.message.includes("to match")) p.message = "must be an https: or data: URL";
  }
}

function explainTools(value: unknown, findings: Findings): void {
  const { out } = findings;
  if (!Array.isArray(value)) return void out.push({ field: "tools", message: "must be an array" });
  value.forEach((t, i) => {
    if (full(findings)) {
      if (!counters.tool.Check(t)) findings.unlisted++;
      return;
    }
    const isOpenAIShape = (t as { type?: unknown } | null)?.type === "function" && "function" in (t as object);
    checkObject(isOpenAIShape ? OpenAIToolDefinition : ToolDefinition, t, `tools[${i}]`, out);
  });
  for (const p of out) {
    if (/^tools\[\d+\](\.function)?\.name$/.test(p.field) && p.message.includes("to match")) {
      p.message = "must be 1-128 characters of letters, digits, _ . -";
    }
  }
}

function explainResponseFormat(value: unknown, out: FieldProblem[]): void {
  const type = (value as { type?: unknown } | null)?.type;
  const branch = (ResponseFormat as unknown as { anyOf: TSchema[] }).anyOf.find(
    (s) => (s as unknown as { properties: { type: { const: string } } }).properties.type.const === type,
  );
  if (!branch) {
    out.push({ field: "responseFormat.type", message: 'must be one of: "text", "json_object", "json_schema"' });
    return;
  }
  checkObject(branch, value, "responseFormat", out);
}
