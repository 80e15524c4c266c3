/**
 * A fake Mistral upstream, byte-faithful to `POST /v1/chat/completions` (docs/providers-mistral-ollama.md,
 * and Mistral's own API reference): SSE `data:` events ending in `data: [DONE]`,
 * a first chunk with `{"role":"assistant","content":""}`, usage on the finish chunk (whose delta is
 * `{"content":""}`), tool calls whole in one chunk with the finish reason and no `index`/`type`,
 * Magistral thinking as content arrays, and flat error bodies.
 *
 * It checks what Mistral checks: the API key, unknown top-level fields (422 `detail`, as the
 * API forbids extra inputs), and every tool-call id in the history, which must be exactly
 * 9 alphanumerics (400 with Mistral's own message and code "3280").
 */
import {
  jsonResponse,
  sseData,
  startFakeUpstream,
  type FakeUpstream,
  type RecordedRequest,
  type ScriptedResponse,
  type Step,
} from "../fake-upstream";

export interface MistralFakeToolCall {
  id: string;
  name: string;
  /** The whole JSON text: Mistral never streams arguments in pieces. */
  arguments: string;
}

export interface MistralAnswer {
  text?: string[];
  /** Magistral reasoning, sent as `[{"type":"thinking","thinking":[{"type":"text","text":…}]}]` before the text. */
  thinking?: string[];
  toolCalls?: MistralFakeToolCall[];
  finishReason?: string;
  usage?: { prompt_tokens: number; completion_tokens: number; cached?: number };
  /** After the content: drop the connection. */
  resetAfterContent?: boolean;
  /** After the content: a raw `data:` payload (e.g. an error object) instead of the finish chunk. */
  rawEventAfterContent?: unknown;
  /** Pause before each chunk. */
  chunkDelayMs?: number;
}

const VALID_ID = /^[a-zA-Z0-9]{9}$/;

/** Top-level fields the API takes; anything else is a 422 (`extra_forbidden`). */
const REQUEST_FIELDS = new Set([
  "model",
  "messages",
  "temperature",
  "top_p",
  "max_tokens",
  "stream",
  "stop",
  "random_seed",
  "metadata",
  "response_format",
  "tools",
  "tool_choice",
  "presence_penalty",
  "frequency_penalty",
  "n",
  "prediction",
  "parallel_tool_calls",
  "reasoning_effort",
  "prompt_mode",
  "guardrails",
  "prompt_cache_key",
  "service_tier",
  "safe_prompt",
]);

/** Mistral's flat error body. */
export function mistralError(
  status: number,
  message: string,
  type: string,
  code: string | null = null,
  headers: Record<string, string> = {},
): ScriptedResponse {
  return jsonResponse(status, { object: "error", message, type, param: null, code }, headers);
}

/** A validation failure in FastAPI's shape, as Mistral answers 422s. */
export function mistralValidationError(
  loc: (string | number)[],
  msg: string,
  type = "extra_forbidden",
  input: unknown = null,
): ScriptedResponse {
  return jsonResponse(422, { detail: [{ type, loc, msg, input }] });
}

/** What Mistral checks in a request before answering; null when it would accept it. */
export function mistralRequestProblem(body: any): ScriptedResponse | null {
  if (!body || typeof body !== "object") return mistralValidationError(["body"], "Field required", "missing");
  for (const key of Object.keys(body)) {
    if (!REQUEST_FIELDS.has(key))
      return mistralValidationError(["body", key], "Extra inputs are not permitted", "extra_forbidden", body[key]);
  }
  // Taken to refuse both, as the OpenAI-style APIs do; the wording is the fake's own.
  if (Array.isArray(body.tools) && body.tools.length === 0)
    return mistralError(400, "Invalid tools: expected at least one tool", "invalid_request_error");
  if (body.tool_choice != null && !body.tools?.length) {
    return mistralError(400, "Invalid tool_choice: a tool choice needs tools", "invalid_request_error");
  }
  const callIds = new Set<string>();
  for (const m of body.messages ?? []) {
    const ids: unknown[] = m.role === "assistant" ? (m.tool_calls ?? []).map((c: any) => c.id) : m.role === "tool" ? [m.tool_call_id] : [];
    for (const id of ids) {
      if (typeof id !== "string" || !VALID_ID.test(id)) {
        return mistralError(400, `Tool call id was ${id} but must be a-z, A-Z, 0-9, with a length of 9.`, "invalid_function_call", "3280");
      }
    }
    if (m.role === "assistant") for (const c of m.tool_calls ?? []) callIds.add(c.id);
    if (m.role === "tool" && !callIds.has(m.tool_call_id)) {
      // The fake's own check (wording not Mistral's): a result must answer an earlier call.
      return mistralError(400, `Unexpected tool call id ${m.tool_call_id} in tool results`, "invalid_request_message_order", "3230");
    }
  }
  return null;
}

export function mistralChatResponse(request: RecordedRequest, answer: MistralAnswer): ScriptedResponse {
  const body = request.body ?? {};
  const model = body.model ?? "mistral-small-latest";
  const finish = answer.finishReason ?? (answer.toolCalls?.length ? "tool_calls" : "stop");
  const usage = answer.usage && {
    prompt_tokens: answer.usage.prompt_tokens,
    total_tokens: answer.usage.prompt_tokens + answer.usage.completion_tokens,
    completion_tokens: answer.usage.completion_tokens,
    ...(answer.usage.cached !== undefined && { prompt_tokens_details: { cached_tokens: answer.usage.cached } }),
  };
  const calls = answer.toolCalls?.map((c) => ({ id: c.id, function: { name: c.name, arguments: c.arguments } }));
  const thinking = answer.thinking?.length
    ? [{ type: "thinking", thinking: answer.thinking.map((text) => ({ type: "text", text })) }]
    : null;

  if (!body.stream) {
    const text = (answer.text ?? []).join("");
    const content = thinking ? [...thinking, { type: "text", text }] : text;
    return jsonResponse(200, {
      id: "cmpl-e5cc70bb28c444948073e77776eb30ef",
      object: "chat.completion",
      model,
      usage: usage ?? { prompt_tokens: 0, total_tokens: 0, completion_tokens: 0 },
      created: 1769088720,
      choices: [{ index: 0, finish_reason: finish, message: { role: "assistant", tool_calls: calls ?? null, content } }],
    });
  }

  const chunk = (delta: unknown, finishReason: string | null = null, withUsage = false) => ({
    id: "5319bd02",
    object: "chat.completion.chunk",
    created: 1769088720,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    ...(withUsage && usage && { usage }),
  });
  const steps: Step[] = [];
  const push = (payload: unknown) => {
    if (answer.chunkDelayMs) steps.push({ delayMs: answer.chunkDelayMs });
    steps.push({ write: sseData(payload) });
  };
  push(chunk({ role: "assistant", content: "" }));
  for (const piece of answer.thinking ?? []) push(chunk({ content: [{ type: "thinking", thinking: [{ type: "text", text: piece }] }] }));
  for (const piece of answer.text ?? []) push(chunk({ content: thinking ? [{ type: "text", text: piece }] : piece }));
  if (answer.resetAfterContent) {
    steps.push({ delayMs: 50 }, { reset: true });
    return { status: 200, headers: { "content-type": "text/event-stream; charset=utf-8" }, body: steps };
  }
  if (answer.rawEventAfterContent !== undefined) {
    steps.push({ write: sseData(answer.rawEventAfterContent) }, { write: sseData("[DONE]") });
    return { status: 200, headers: { "content-type": "text/event-stream; charset=utf-8" }, body: steps };
  }
  if (calls?.length) push(chunk({ content: null, tool_calls: calls }, finish, true));
  else push(chunk({ content: "" }, finish, true));
  steps.push({ write: sseData("[DONE]") });
  return { status: 200, headers: { "content-type": "text/event-stream; charset=utf-8" }, body: steps };
}

export interface MistralFakeOptions {
  apiKey?: string;
  answer?: (request: RecordedRequest) => MistralAnswer | ScriptedResponse;
  port?: number;
}

export type MistralFake = FakeUpstream & { answer(fn: NonNullable<MistralFakeOptions["answer"]>): void };

export async function startMistralFake(options: MistralFakeOptions = {}): Promise<MistralFake> {
  let answerFn = options.answer ?? (() => ({ text: ["Hello", " from", " the fake"], usage: { prompt_tokens: 9, completion_tokens: 4 } }));
  const fake = await startFakeUpstream((req) => {
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") return jsonResponse(404, { detail: "Not Found" });
    if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return jsonResponse(401, { message: "Unauthorized", request_id: "e0f6a7b1c2d3" });
    }
    const problem = mistralRequestProblem(req.body);
    if (problem) return problem;
    const answer = answerFn(req);
    return isScripted(answer) ? answer : mistralChatResponse(req, answer);
  }, options.port);
  return Object.assign(fake, {
    answer(fn: NonNullable<MistralFakeOptions["answer"]>) {
      answerFn = fn;
    },
  });
}

function isScripted(answer: MistralAnswer | ScriptedResponse): answer is ScriptedResponse {
  return "status" in answer || "body" in answer || "hangBeforeHeaders" in answer || "resetBeforeHeaders" in answer;
}

if (import.meta.main) {
  const fake = await startMistralFake({ port: Number(process.env.PORT ?? 8082) });
  console.log(`fake Mistral upstream on ${fake.url} (any API key)`);
}
