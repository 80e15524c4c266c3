/**
 * A fake Anthropic Messages upstream that speaks the wire format byte for byte
 * (docs/providers-anthropic.md): SSE with `event:` names, `ping` events anywhere, usage
 * split over `message_start` and `message_delta`, tool input as `input_json_delta` pieces with
 * the empty first piece, `event: error` mid-stream, Anthropic's error bodies and headers. It
 * checks `x-api-key` and `anthropic-version: 2023-06-01`, and rejects bodies the real API rejects
 * (roles that do not alternate, tool results without their call, temperature above 1, …).
 * Run standalone: `bun test/fakes/anthropic/anthropic-fake.ts`.
 *
 * The event and message builders are shared with the Bedrock fake, which wraps the same events
 * in AWS event-stream frames.
 */
import {
  jsonResponse,
  sseEvent,
  startFakeUpstream,
  type FakeUpstream,
  type RecordedRequest,
  type ScriptedResponse,
  type Step,
} from "../fake-upstream";

export type FakeBlock =
  | { type: "text"; pieces: string[] }
  | { type: "thinking"; pieces: string[]; signature?: string }
  | { type: "redacted_thinking"; data: string }
  /** `argumentPieces` are the `partial_json` pieces after the empty first one. */
  | { type: "tool_use"; id: string; name: string; argumentPieces: string[] };

export interface FakeUsage {
  input: number;
  output: number;
  cacheCreation?: number;
  cacheRead?: number;
  thinking?: number;
  /** Newer API versions restate the input counts in `message_delta`, sometimes different. */
  deltaInput?: number;
}

export interface AnthropicAnswer {
  blocks?: FakeBlock[];
  /** Default: `tool_use` when a tool was called, else `end_turn`. */
  stopReason?: string;
  stopSequence?: string | null;
  usage?: FakeUsage;
  /** After the content: `event: error` and the end of the body (no `message_stop`). */
  midStreamError?: { type: string; message: string };
  /** After the content: drop the connection. */
  resetAfterContent?: boolean;
  /** After the content: stop sending, keep the connection open. */
  hangAfterContent?: boolean;
  /** Pause before each event. */
  chunkDelayMs?: number;
  /** Leave out the `ping` events (the Bedrock fake does). */
  noPings?: boolean;
  /** An event type the client has never heard of, sent mid-stream. */
  unknownEvent?: boolean;
}

export interface AnthropicEvent {
  event: string;
  data: Record<string, unknown>;
}

export const FAKE_MODEL = "claude-sonnet-4-5-20250929";
export const ANTHROPIC_VERSION = "2023-06-01";

const DEFAULT_USAGE: FakeUsage = { input: 12, output: 30 };

function stopReasonOf(answer: AnthropicAnswer): string {
  return answer.stopReason ?? (answer.blocks?.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn");
}

/** `message_start` and every content block: what streams before the closing events. */
export function anthropicContentEvents(model: string, answer: AnthropicAnswer, messageId = "msg_01QCfake"): AnthropicEvent[] {
  const u = answer.usage ?? DEFAULT_USAGE;
  const pings = !answer.noPings;
  const events: AnthropicEvent[] = [];
  const ping = () => pings && events.push({ event: "ping", data: { type: "ping" } });
  events.push({
    event: "message_start",
    data: {
      type: "message_start",
      message: {
        model,
        id: messageId,
        type: "message",
        role: "assistant",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: u.input,
          cache_creation_input_tokens: u.cacheCreation ?? 0,
          cache_read_input_tokens: u.cacheRead ?? 0,
          output_tokens: 1,
          service_tier: "standard",
        },
      },
    },
  });
  ping();
  const delta = (index: number, d: Record<string, unknown>) =>
    events.push({ event: "content_block_delta", data: { type: "content_block_delta", index, delta: d } });
  (answer.blocks ?? []).forEach((block, index) => {
    const start = (content_block: Record<string, unknown>) =>
      events.push({ event: "content_block_start", data: { type: "content_block_start", index, content_block } });
    switch (block.type) {
      case "text":
        start({ type: "text", text: "" });
        block.pieces.forEach((text, i) => {
          delta(index, { type: "text_delta", text });
          if (i === 0) ping();
        });
        break;
      case "thinking":
        start({ type: "thinking", thinking: "", signature: "" });
        for (const thinking of block.pieces) delta(index, { type: "thinking_delta", thinking });
        delta(index, { type: "signature_delta", signature: block.signature ?? "EqQBCkYIARgCKkCfake" });
        break;
      case "redacted_thinking":
        start({ type: "redacted_thinking", data: block.data });
        break;
      case "tool_use":
        start({ type: "tool_use", id: block.id, name: block.name, input: {} });
        delta(index, { type: "input_json_delta", partial_json: "" });
        ping();
        for (const partial_json of block.argumentPieces) delta(index, { type: "input_json_delta", partial_json });
        break;
    }
    events.push({ event: "content_block_stop", data: { type: "content_block_stop", index } });
    if (index === 0 && answer.unknownEvent)
      events.push({ event: "content_block_flourish", data: { type: "content_block_flourish", index, sparkle: true } });
  });
  return events;
}

/** `message_delta` (stop reason, cumulative output) and `message_stop`. */
export function anthropicClosingEvents(answer: AnthropicAnswer, omitUsage = false): AnthropicEvent[] {
  const u = answer.usage ?? DEFAULT_USAGE;
  const usage: Record<string, unknown> = { output_tokens: u.output };
  if (u.deltaInput !== undefined) {
    Object.assign(usage, {
      input_tokens: u.deltaInput,
      cache_creation_input_tokens: u.cacheCreation ?? 0,
      cache_read_input_tokens: u.cacheRead ?? 0,
    });
  }
  if (u.thinking !== undefined) usage.output_tokens_details = { thinking_tokens: u.thinking };
  const messageDelta: Record<string, unknown> = {
    type: "message_delta",
    delta: { stop_reason: stopReasonOf(answer), stop_sequence: answer.stopSequence ?? null },
  };
  if (!omitUsage) messageDelta.usage = usage;
  return [
    { event: "message_delta", data: messageDelta },
    { event: "message_stop", data: { type: "message_stop" } },
  ];
}

/** The non-streaming Messages response. */
export function anthropicMessage(model: string, answer: AnthropicAnswer, messageId = "msg_01QCfake"): Record<string, unknown> {
  const u = answer.usage ?? DEFAULT_USAGE;
  const content = (answer.blocks ?? []).map((b) => {
    switch (b.type) {
      case "text":
        return { type: "text", text: b.pieces.join("") };
      case "thinking":
        return { type: "thinking", thinking: b.pieces.join(""), signature: b.signature ?? "EqQBCkYIARgCKkCfake" };
      case "redacted_thinking":
        return { type: "redacted_thinking", data: b.data };
      case "tool_use":
        return { type: "tool_use", id: b.id, name: b.name, input: JSON.parse(b.argumentPieces.join("") || "{}") };
    }
  });
  const usage: Record<string, unknown> = {
    input_tokens: u.input,
    cache_creation_input_tokens: u.cacheCreation ?? 0,
    cache_read_input_tokens: u.cacheRead ?? 0,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    output_tokens: u.output,
    service_tier: "standard",
  };
  if (u.thinking !== undefined) usage.output_tokens_details = { thinking_tokens: u.thinking };
  return {
    id: messageId,
    type: "message",
    role: "assistant",
    model,
    content,
    stop_reason: stopReasonOf(answer),
    stop_sequence: answer.stopSequence ?? null,
    usage,
  };
}

export function anthropicErrorBody(type: string, message: string): Record<string, unknown> {
  return { type: "error", error: { type, message }, request_id: "req_011CfakeRequest" };
}

export function anthropicError(status: number, type: string, message: string, headers: Record<string, string> = {}): ScriptedResponse {
  return jsonResponse(status, anthropicErrorBody(type, message), { "request-id": "req_011CfakeRequest", ...headers });
}

/**
 * What the real API refuses in a Messages body (the subset a gateway can get wrong), as its
 * `invalid_request_error` message; `null` when the body is acceptable.
 */
export function messagesBodyProblem(body: any): string | null {
  if (!body || typeof body !== "object") return "request body must be a JSON object";
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) return "max_tokens: Field required";
  if (!Array.isArray(body.messages) || body.messages.length === 0) return "messages: at least one message is required";
  if (body.system !== undefined && typeof body.system !== "string" && !Array.isArray(body.system))
    return "system: Input should be a valid string or list";
  let previousRole: string | null = null;
  let pendingToolUse: string[] = [];
  for (let i = 0; i < body.messages.length; i++) {
    const m = body.messages[i];
    if (m.role !== "user" && m.role !== "assistant") return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    if (m.role === previousRole)
      return `messages: roles must alternate between "user" and "assistant", but found multiple "${m.role}" roles in a row`;
    previousRole = m.role;
    const blocks = typeof m.content === "string" ? [{ type: "text", text: m.content }] : m.content;
    if (!Array.isArray(blocks) || blocks.length === 0) return `messages.${i}: all messages must have non-empty content`;
    const results: string[] = [];
    let sawNonResult = false;
    for (let j = 0; j < blocks.length; j++) {
      const b = blocks[j];
      if (b.type === "text" && (typeof b.text !== "string" || b.text.length === 0))
        return `messages.${i}.content.${j}.text: text content blocks must be non-empty`;
      if (b.type === "tool_use") {
        if (m.role !== "assistant") return `messages.${i}.content.${j}: tool_use blocks may only appear in assistant messages`;
        if (!b.input || typeof b.input !== "object" || Array.isArray(b.input))
          return `messages.${i}.content.${j}.tool_use.input: Input should be a valid dictionary`;
      }
      if (b.type === "tool_result") {
        if (m.role !== "user") return `messages.${i}.content.${j}: tool_result blocks may only appear in user messages`;
        if (sawNonResult) return `messages.${i}: tool_result blocks must come first in the user message content`;
        results.push(b.tool_use_id);
      } else sawNonResult = true;
      if (b.type === "image") {
        const s = b.source;
        const ok =
          s &&
          ((s.type === "base64" && /^image\/(jpeg|png|gif|webp)$/.test(s.media_type) && typeof s.data === "string") ||
            (s.type === "url" && typeof s.url === "string"));
        if (!ok) return `messages.${i}.content.${j}.image.source: invalid image source`;
      }
    }
    if (m.role === "user" && pendingToolUse.length) {
      const missing = pendingToolUse.filter((id) => !results.includes(id));
      if (missing.length)
        return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(", ")}`;
    }
    pendingToolUse = m.role === "assistant" ? blocks.filter((b: any) => b.type === "tool_use").map((b: any) => b.id) : [];
  }
  if (body.temperature !== undefined && (body.temperature < 0 || body.temperature > 1)) return "temperature: range: 0..1";
  if (body.thinking) {
    if (body.thinking.type !== "enabled" || !Number.isInteger(body.thinking.budget_tokens) || body.thinking.budget_tokens < 1024)
      return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024";
    if (body.thinking.budget_tokens >= body.max_tokens) return "`max_tokens` must be greater than `thinking.budget_tokens`";
    if (body.temperature !== undefined && body.temperature !== 1) return "`temperature` may only be set to 1 when thinking is enabled";
    if (body.top_k !== undefined) return "`top_k` must be unset when thinking is enabled";
    if (body.tool_choice && (body.tool_choice.type === "any" || body.tool_choice.type === "tool"))
      return "Thinking may not be enabled when tool_choice forces tool use.";
  }
  if (body.tool_choice !== undefined && !body.tools?.length) return "tool_choice: tool_choice may only be specified while providing tools";
  if (Array.isArray(body.tools)) {
    for (let i = 0; i < body.tools.length; i++) {
      const t = body.tools[i];
      if (typeof t.name !== "string" || !t.input_schema || t.input_schema.type !== "object")
        return `tools.${i}.custom.input_schema.type: Input should be 'object'`;
    }
    if (body.tool_choice?.type === "tool" && !body.tools.some((t: any) => t.name === body.tool_choice.name))
      return `tool_choice: tool "${body.tool_choice.name}" not found in tools`;
  }
  return null;
}

const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "request-id": "req_011CfakeRequest",
  "anthropic-organization-id": "00000000-0000-0000-0000-000000000000",
};

export function anthropicResponse(request: RecordedRequest, answer: AnthropicAnswer): ScriptedResponse {
  const body = request.body ?? {};
  const model = body.model ?? FAKE_MODEL;
  if (!body.stream) return jsonResponse(200, anthropicMessage(model, answer), { "request-id": "req_011CfakeRequest" });
  const steps: Step[] = [];
  const push = (e: AnthropicEvent) => {
    if (answer.chunkDelayMs) steps.push({ delayMs: answer.chunkDelayMs });
    steps.push({ write: sseEvent(e.event, e.data) });
  };
  anthropicContentEvents(model, answer).forEach(push);
  if (answer.midStreamError) {
    push({ event: "error", data: anthropicErrorBody(answer.midStreamError.type, answer.midStreamError.message) });
  } else if (answer.resetAfterContent) {
    // Let the content reach the client first, as a real connection drop would.
    steps.push({ delayMs: 50 }, { reset: true });
  } else if (answer.hangAfterContent) {
    steps.push({ hang: true });
  } else {
    anthropicClosingEvents(answer).forEach(push);
  }
  return { status: 200, headers: SSE_HEADERS, body: steps };
}

export interface AnthropicFakeOptions {
  apiKey?: string;
  /** The answer for each request; default says "Hello from the fake". */
  answer?: (request: RecordedRequest) => AnthropicAnswer | ScriptedResponse;
  port?: number;
}

export type AnthropicFake = FakeUpstream & { answer(fn: NonNullable<AnthropicFakeOptions["answer"]>): void };

export async function startAnthropicFake(options: AnthropicFakeOptions = {}): Promise<AnthropicFake> {
  let answerFn = options.answer ?? (() => ({ blocks: [{ type: "text" as const, pieces: ["Hello", " from", " the fake"] }] }));
  const fake = await startFakeUpstream((req) => {
    if (req.method !== "POST" || req.url.split("?")[0] !== "/v1/messages")
      return anthropicError(404, "not_found_error", `Not found: ${req.method} ${req.url}`);
    if (options.apiKey && req.headers["x-api-key"] !== options.apiKey)
      return anthropicError(401, "authentication_error", "invalid x-api-key");
    if (req.headers["anthropic-version"] !== ANTHROPIC_VERSION) {
      return anthropicError(
        400,
        "invalid_request_error",
        `anthropic-version: ${req.headers["anthropic-version"] ? "unsupported version" : "header is required"}`,
      );
    }
    const problem = typeof req.body?.model === "string" ? messagesBodyProblem(req.body) : "model: Field required";
    if (problem) return anthropicError(400, "invalid_request_error", problem);
    const answer = answerFn(req);
    return "status" in answer || "body" in answer ? (answer as ScriptedResponse) : anthropicResponse(req, answer as AnthropicAnswer);
  }, options.port);
  return Object.assign(fake, {
    answer(fn: NonNullable<AnthropicFakeOptions["answer"]>) {
      answerFn = fn;
    },
  });
}

if (import.meta.main) {
  const fake = await startAnthropicFake({ port: Number(process.env.PORT ?? 8082) });
  console.log(`fake Anthropic upstream on ${fake.url} (any x-api-key; anthropic-version ${ANTHROPIC_VERSION})`);
}
