/**
 * A fake OpenAI-compatible upstream, byte-faithful to each provider of the family
 * (docs/providers-openai-compatible.md) and parameterised by that provider's quirks:
 * path and query, auth header, chunk envelope, where usage comes, how tool calls are streamed,
 * Azure's filter chunks, legacy `text_completion` chunks, comment lines, CRLF framing, `[DONE]`,
 * error body shapes. It checks the path, query and auth header each provider uses and answers
 * as that provider would when they are wrong.
 *
 * Run standalone: `bun test/fakes/openai-compatible/compatible-fake.ts <flavour>` (PORT, API_KEY).
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

export interface FakeToolCall {
  id: string;
  name: string;
  /** Argument pieces, streamed one per chunk after the call's first fragment (joined for whole calls). */
  argumentPieces: string[];
}

export interface OpenAIAnswer {
  text?: string[];
  /** Reasoning pieces, streamed before the text (vLLM, DeepSeek-style servers). */
  reasoning?: string[];
  toolCalls?: FakeToolCall[];
  finishReason?: string;
  usage?: { prompt_tokens: number; completion_tokens: number; cached?: number; reasoning?: number };
  /** After the content: an error event, then `[DONE]`. `flat`: old vLLM's `{"object":"error",…}`. */
  midStreamError?: { message: string; type?: string; flat?: boolean };
  /** After the content: drop the connection. */
  resetAfterContent?: boolean;
  /** After the content: stop sending, keep the connection open. */
  hangAfterContent?: boolean;
  /** Leave out the final `[DONE]`. */
  omitDone?: boolean;
  /** Pause before each chunk. */
  chunkDelayMs?: number;
  /** A raw, non-JSON `data:` payload sent after the first content chunk. */
  malformedChunk?: string;
}

export type FakeAuth =
  | { scheme: "bearer"; key: string }
  | { scheme: "api-key"; key: string }
  /** Neither `Authorization` nor `api-key` may arrive. */
  | { scheme: "none" };

export interface Quirks {
  name: string;
  /** Exact request path (no query). */
  path: string;
  /** Exactly these query parameters, when set (Azure's `api-version`). */
  query?: Record<string, string>;
  /** Checked on every request when set. */
  auth?: FakeAuth;
  /** `chat`: chat.completion(.chunk); `completions`: legacy `text_completion`. */
  api: "chat" | "completions";
  /** `openai`: id/object/created/model/system_fingerprint on every chunk; `minimal`: id, choices, usage (AI21). */
  envelope: "openai" | "minimal";
  idPrefix: string;
  model: string;
  /**
   * `include_usage`: a `choices: []` chunk when the request asks (OpenAI, Azure);
   * `last_chunk`: always, on the finish chunk (AI21); `continuous`: running totals on every chunk
   * plus the `include_usage` chunk (vLLM with continuous stats); `never` (some remote servers).
   */
  usage: "include_usage" | "last_chunk" | "continuous" | "never";
  /** Chunks without usage carry `usage: null`: `ask` only when include_usage was asked (OpenAI), `always` (AI21), `never`. */
  nullUsage: "ask" | "always" | "never";
  /**
   * `openai`: first fragment `{index,id,type,function:{name,arguments:""}}`, then pieces;
   * `vllm`: first fragment without `arguments`, pieces, and an extra empty `arguments:""`
   * fragment in the finish chunk; `whole`: all calls complete in one chunk, with index and type;
   * `whole_unindexed`: each call complete in its own chunk, without index or type.
   */
  toolCalls: "openai" | "vllm" | "whole" | "whole_unindexed";
  /** Azure: a first `choices: []` chunk with `prompt_filter_results`, `content_filter_results` on choices, an offsets-only filter chunk. */
  azureFilters: boolean;
  /** The finish reason (and last-chunk usage) rides on the last content chunk instead of a chunk of its own. */
  finishWithLastContent: boolean;
  /** vLLM's chunk details: `stop_reason` next to `finish_reason`, `content: ""` in the role and finish deltas, no `system_fingerprint`. */
  vllmDetails: boolean;
  done: boolean;
  /** `: ping` comment lines between events. */
  comments: boolean;
  eol: "\n" | "\r\n";
  reasoningField: "reasoning" | "reasoning_content";
  /**
   * How the provider checks `tools` and `tool_choice` (chat API only): `openai` refuses an empty
   * `tools`, any `tool_choice` without tools and a named function not among them, with OpenAI's
   * messages; `vllm` the same with vLLM's messages, letting `"none"` through without tools.
   */
  toolChecks: "openai" | "vllm";
  errorBody(status: number, message: string, type: string, code?: string | null): unknown;
  streamErrorBody(message: string, type?: string): unknown;
}

// --- error bodies --------------------------------------------------------------------------

export function openAIErrorBody(message: string, type: string | null, code: string | null = null, extra: Record<string, unknown> = {}) {
  return { error: { message, type, param: null, code, ...extra } };
}

export function openAIError(
  status: number,
  message: string,
  type: string,
  code: string | null = null,
  headers: Record<string, string> = {},
): ScriptedResponse {
  return jsonResponse(status, openAIErrorBody(message, type, code), headers);
}

const VLLM_ERROR_TYPES: Record<number, string> = {
  400: "BadRequestError",
  401: "Unauthorized",
  404: "NotFoundError",
  500: "InternalServerError",
  503: "ServiceUnavailableError",
};

/** vLLM's error: `code` is the integer HTTP status; `flat` is the older unwrapped shape. */
export function vllmError(
  status: number,
  message: string,
  options: { flat?: boolean; headers?: Record<string, string> } = {},
): ScriptedResponse {
  const inner = { message, type: VLLM_ERROR_TYPES[status] ?? "BadRequestError", param: null, code: status };
  return jsonResponse(status, options.flat ? { object: "error", ...inner } : { error: inner }, options.headers);
}

/** AI21's error body: `{"detail": …}` (a string, or FastAPI's validation list). */
export function jambaError(status: number, detail: unknown, headers: Record<string, string> = {}): ScriptedResponse {
  return jsonResponse(status, { detail }, headers);
}

/** Azure refusing the prompt: HTTP 400, `code: content_filter`, the categories in `innererror`. */
export function azureContentFilterError(): ScriptedResponse {
  return jsonResponse(
    400,
    openAIErrorBody(
      "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.",
      null,
      "content_filter",
      {
        param: "prompt",
        status: 400,
        innererror: {
          code: "ResponsibleAIPolicyViolation",
          content_filter_result: {
            hate: { filtered: true, severity: "high" },
            jailbreak: { filtered: false, detected: false },
            self_harm: { filtered: false, severity: "safe" },
            sexual: { filtered: false, severity: "safe" },
            violence: { filtered: false, severity: "safe" },
          },
        },
      },
    ),
  );
}

// --- quirks of each provider ---------------------------------------------------------------

const openAIErrors = {
  errorBody: (_status: number, message: string, type: string, code: string | null = null) => openAIErrorBody(message, type, code),
  streamErrorBody: (message: string, type = "server_error") => openAIErrorBody(message, type),
};

const OPENAI_BASE: Omit<Quirks, "name" | "path"> = {
  api: "chat",
  envelope: "openai",
  idPrefix: "chatcmpl-",
  model: "gpt-4o-2024-08-06",
  usage: "include_usage",
  nullUsage: "ask",
  toolCalls: "openai",
  azureFilters: false,
  finishWithLastContent: false,
  vllmDetails: false,
  done: true,
  comments: false,
  eol: "\n",
  reasoningField: "reasoning_content",
  toolChecks: "openai",
  ...openAIErrors,
};

export const QUIRKS = {
  openai: (o: { apiKey?: string } = {}): Quirks => ({
    ...OPENAI_BASE,
    name: "openai",
    path: "/v1/chat/completions",
    ...(o.apiKey && { auth: { scheme: "bearer", key: o.apiKey } }),
  }),
  azure_openai: (o: { deployment: string; apiKey: string; apiVersion?: string }): Quirks => ({
    ...OPENAI_BASE,
    name: "azure_openai",
    path: `/openai/deployments/${o.deployment}/chat/completions`,
    query: { "api-version": o.apiVersion ?? "2024-10-21" },
    auth: { scheme: "api-key", key: o.apiKey },
    model: "gpt-4o-2024-11-20",
    azureFilters: true,
  }),
  azure_openai_completions: (o: { deployment: string; apiKey: string; apiVersion?: string }): Quirks => ({
    ...OPENAI_BASE,
    name: "azure_openai_completions",
    path: `/openai/deployments/${o.deployment}/completions`,
    query: { "api-version": o.apiVersion ?? "2024-10-21" },
    auth: { scheme: "api-key", key: o.apiKey },
    api: "completions",
    idPrefix: "cmpl-",
    model: "gpt-35-turbo-instruct",
    azureFilters: true,
    finishWithLastContent: true,
  }),
  jamba: (o: { apiKey: string }): Quirks => ({
    ...OPENAI_BASE,
    name: "jamba",
    path: "/studio/v1/chat/completions",
    auth: { scheme: "bearer", key: o.apiKey },
    envelope: "minimal",
    idPrefix: "chat-",
    model: "jamba-large",
    usage: "last_chunk",
    nullUsage: "always",
    toolCalls: "whole",
    finishWithLastContent: true,
    errorBody: (_status, message) => ({ detail: message }),
  }),
  vllm: (o: { apiKey?: string } = {}): Quirks => ({
    ...OPENAI_BASE,
    name: "vllm",
    path: "/v1/chat/completions",
    auth: o.apiKey ? { scheme: "bearer", key: o.apiKey } : { scheme: "none" },
    model: "meta-llama/Llama-3.1-8B-Instruct",
    usage: "continuous",
    nullUsage: "never",
    toolCalls: "vllm",
    vllmDetails: true,
    reasoningField: "reasoning",
    toolChecks: "vllm",
    errorBody: (status, message) => ({
      error: { message, type: VLLM_ERROR_TYPES[status] ?? "BadRequestError", param: null, code: status },
    }),
    streamErrorBody: (message) => ({ error: { message, type: "InternalServerError", param: null, code: 500 } }),
  }),
  remote_completion: (o: { apiKey?: string; basePath?: string } = {}): Quirks => ({
    ...OPENAI_BASE,
    name: "remote_completion",
    path: `${o.basePath ?? "/api/openai/v1"}/chat/completions`,
    auth: o.apiKey ? { scheme: "bearer", key: o.apiKey } : { scheme: "none" },
    idPrefix: "gen-",
    model: "qwen2.5-72b-instruct",
    usage: "never",
    nullUsage: "never",
    toolCalls: "whole_unindexed",
    finishWithLastContent: true,
    done: false,
    comments: true,
    eol: "\r\n",
  }),
} as const;

export type Flavour = keyof typeof QUIRKS;

// --- answers -------------------------------------------------------------------------------

function usageObject(u: NonNullable<OpenAIAnswer["usage"]>) {
  return {
    prompt_tokens: u.prompt_tokens,
    completion_tokens: u.completion_tokens,
    total_tokens: u.prompt_tokens + u.completion_tokens,
    prompt_tokens_details: { cached_tokens: u.cached ?? 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: u.reasoning ?? 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** vLLM / AI21 report the plain three counts. */
function plainUsage(u: NonNullable<OpenAIAnswer["usage"]>) {
  return { prompt_tokens: u.prompt_tokens, total_tokens: u.prompt_tokens + u.completion_tokens, completion_tokens: u.completion_tokens };
}

const SAFE_FILTER = {
  hate: { filtered: false, severity: "safe" },
  self_harm: { filtered: false, severity: "safe" },
  sexual: { filtered: false, severity: "safe" },
  violence: { filtered: false, severity: "safe" },
};
const FLAGGED_FILTER = { ...SAFE_FILTER, violence: { filtered: true, severity: "medium" } };

/** The HTTP answer a provider with these quirks gives to this request. */
export function compatibleResponse(q: Quirks, request: RecordedRequest, answer: OpenAIAnswer): ScriptedResponse {
  const body = request.body ?? {};
  // Azure answers with the model behind the deployment; the others echo the requested name.
  const model = q.azureFilters ? q.model : (body.model ?? q.model);
  const finish = answer.finishReason ?? (answer.toolCalls?.length ? "tool_calls" : "stop");
  const id = `${q.idPrefix}${q.vllmDetails ? "5c1d0e6fa2b84e4a" : "fake"}`;
  const created = 1770933892;
  // OpenAI's chat usage has the detail objects; legacy completions, vLLM and AI21 the three counts.
  const rich = q.api === "chat" && (q.usage === "include_usage" || q.usage === "never");
  const usageOf = (u: NonNullable<OpenAIAnswer["usage"]>) => (rich ? usageObject(u) : plainUsage(u));
  if (!body.stream) return jsonResponse(200, jsonAnswer(q, answer, { id, model, finish, usageOf }));

  const askedUsage = body.stream_options?.include_usage === true;
  const fingerprint = q.vllmDetails ? {} : { system_fingerprint: "fp_fake" };
  const legacy = q.api === "completions";
  const steps: Step[] = [];
  let chunkCount = 0;
  const write = (payload: unknown) => {
    if (answer.chunkDelayMs) steps.push({ delayMs: answer.chunkDelayMs });
    if (q.comments && chunkCount % 2 === 0) steps.push({ write: `: ping${q.eol}${q.eol}` });
    steps.push({ write: sseData(payload, q.eol) });
    chunkCount++;
  };
  /** Running usage for `continuous`: output grows per chunk, the final chunks carry the real total. */
  const running = (final: boolean) => {
    const u = answer.usage!;
    const out = final ? u.completion_tokens : Math.min(u.completion_tokens, chunkCount);
    return plainUsage({ prompt_tokens: u.prompt_tokens, completion_tokens: out });
  };
  const envelope = (choices: unknown[], usage: unknown, extra: Record<string, unknown> = {}) => {
    const c: Record<string, unknown> =
      q.envelope === "minimal"
        ? { id, choices }
        : legacy
          ? { id, object: "text_completion", created, choices, model }
          : { id, object: "chat.completion.chunk", created, model, ...fingerprint, choices };
    Object.assign(c, extra);
    if (usage !== undefined) c.usage = usage;
    else if (q.nullUsage === "always" || (q.nullUsage === "ask" && askedUsage)) c.usage = null;
    return c;
  };
  /** One content chunk; `final` puts the finish reason (and last-chunk usage) on it. */
  const chunk = (delta: Record<string, unknown>, finalReason: string | null = null, filter: unknown = SAFE_FILTER) => {
    const choice: Record<string, unknown> = legacy
      ? { text: delta.content ?? "", index: 0, logprobs: null, finish_reason: finalReason }
      : q.envelope === "minimal"
        ? { index: 0, delta, finish_reason: finalReason }
        : { index: 0, delta, logprobs: null, finish_reason: finalReason };
    if (q.vllmDetails && finalReason) choice.stop_reason = finalReason === "tool_calls" ? 128008 : null;
    if (q.azureFilters) choice.content_filter_results = filter;
    let usage: unknown;
    if (answer.usage && q.usage === "continuous") usage = running(finalReason !== null);
    if (answer.usage && q.usage === "last_chunk" && finalReason) usage = usageOf(answer.usage);
    write(envelope([choice], usage));
  };

  if (q.azureFilters) {
    write({
      choices: [],
      created: 0,
      id: "",
      model: "",
      object: "",
      prompt_filter_results: [{ prompt_index: 0, content_filter_results: SAFE_FILTER }],
    });
  }
  const text = answer.text ?? [];
  const calls = answer.toolCalls ?? [];
  if (!legacy) {
    const role =
      q.envelope === "minimal"
        ? { role: "assistant" }
        : q.vllmDetails
          ? { role: "assistant", content: "" }
          : calls.length && !text.length
            ? { role: "assistant", content: null }
            : { role: "assistant", content: "", refusal: null };
    chunk(role, null, {});
  }
  for (const piece of answer.reasoning ?? []) chunk({ [q.reasoningField]: piece });

  const cut = answer.midStreamError || answer.resetAfterContent || answer.hangAfterContent;
  const finishOnContent = q.finishWithLastContent && !cut;
  const flagged = finish === "content_filter" ? FLAGGED_FILTER : SAFE_FILTER;
  let finished = false;
  text.forEach((piece, i) => {
    const last = i === text.length - 1 && !calls.length && finishOnContent;
    chunk({ content: piece }, last ? finish : null, last ? flagged : SAFE_FILTER);
    if (last) finished = true;
    if (i === 0 && answer.malformedChunk) steps.push({ write: sseData(answer.malformedChunk, q.eol) });
  });

  switch (q.toolCalls) {
    case "openai":
    case "vllm":
      calls.forEach((call, index) => {
        const first = { index, id: call.id, type: "function", function: { name: call.name, arguments: "" } };
        chunk({
          tool_calls: [q.toolCalls === "vllm" ? { id: call.id, type: "function", index, function: { name: call.name } } : first],
        });
        for (const piece of call.argumentPieces) chunk({ tool_calls: [{ index, function: { arguments: piece } }] });
      });
      break;
    case "whole":
      if (calls.length) {
        const all = calls.map((c, index) => ({
          id: c.id,
          type: "function",
          index,
          function: { name: c.name, arguments: c.argumentPieces.join("") },
        }));
        chunk({ content: null, tool_calls: all }, finishOnContent ? finish : null);
        finished = finishOnContent;
      }
      break;
    case "whole_unindexed":
      calls.forEach((c, i) => {
        const last = i === calls.length - 1 && finishOnContent;
        chunk({ tool_calls: [{ id: c.id, function: { name: c.name, arguments: c.argumentPieces.join("") } }] }, last ? finish : null);
        if (last) finished = true;
      });
      break;
  }
  if (q.azureFilters && !legacy && text.length) {
    // Asynchronous filtering: a verdict chunk with offsets and no delta.
    write(
      envelope(
        [
          {
            content_filter_offsets: { check_offset: 0, start_offset: 0, end_offset: text.join("").length },
            content_filter_results: SAFE_FILTER,
            finish_reason: null,
            index: 0,
          },
        ],
        undefined,
      ),
    );
  }

  const streamHeaders = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };
  if (answer.midStreamError) {
    const e = answer.midStreamError;
    const payload = e.flat
      ? { object: "error", message: e.message, type: e.type ?? "InternalServerError", param: null, code: 500 }
      : q.streamErrorBody(e.message, e.type);
    steps.push({ write: sseData(payload, q.eol) }, { write: sseData("[DONE]", q.eol) });
    return { status: 200, headers: streamHeaders, body: steps };
  }
  if (answer.resetAfterContent) {
    // Let the content reach the client first, as a real connection drop would.
    steps.push({ delayMs: 50 }, { reset: true });
    return { status: 200, headers: streamHeaders, body: steps };
  }
  if (answer.hangAfterContent) {
    steps.push({ hang: true });
    return { status: 200, headers: streamHeaders, body: steps };
  }
  if (!finished) {
    if (legacy) chunk({ content: "" }, finish, flagged);
    else if (q.toolCalls === "vllm" && calls.length)
      chunk({ tool_calls: [{ index: calls.length - 1, function: { arguments: "" } }] }, finish);
    else chunk(q.vllmDetails ? { content: "" } : {}, finish, finish === "content_filter" ? flagged : {});
  }
  if (answer.usage && askedUsage && (q.usage === "include_usage" || q.usage === "continuous")) {
    const usage = q.usage === "continuous" ? running(true) : usageOf(answer.usage);
    if (q.envelope === "minimal") write({ id, choices: [], usage });
    else if (legacy) write({ id, object: "text_completion", created, model, usage, choices: [] });
    else write({ id, object: "chat.completion.chunk", created, model, ...fingerprint, choices: [], usage });
  }
  if (q.done && !answer.omitDone) steps.push({ write: sseData("[DONE]", q.eol) });
  return { status: 200, headers: streamHeaders, body: steps };
}

function jsonAnswer(
  q: Quirks,
  answer: OpenAIAnswer,
  ctx: { id: string; model: string; finish: string; usageOf: (u: NonNullable<OpenAIAnswer["usage"]>) => unknown },
): Record<string, unknown> {
  const usage = answer.usage && q.usage !== "never" ? ctx.usageOf(answer.usage) : undefined;
  const filter = ctx.finish === "content_filter" ? FLAGGED_FILTER : SAFE_FILTER;
  const promptFilter = q.azureFilters ? { prompt_filter_results: [{ prompt_index: 0, content_filter_results: SAFE_FILTER }] } : {};
  if (q.api === "completions") {
    const choice: Record<string, unknown> = { text: (answer.text ?? []).join(""), index: 0, logprobs: null, finish_reason: ctx.finish };
    if (q.azureFilters) choice.content_filter_results = filter;
    return { id: ctx.id, object: "text_completion", created: 1770934485, model: ctx.model, ...promptFilter, choices: [choice], usage };
  }
  const message: Record<string, unknown> = { role: "assistant", content: answer.text ? answer.text.join("") : null };
  if (q.envelope === "openai") Object.assign(message, { refusal: null, annotations: [] });
  if (answer.reasoning) message[q.reasoningField] = answer.reasoning.join("");
  if (answer.toolCalls?.length) {
    message.tool_calls = answer.toolCalls.map((c) => ({
      id: c.id,
      type: "function",
      function: { name: c.name, arguments: c.argumentPieces.join("") },
    }));
  }
  const choice: Record<string, unknown> = { index: 0, message, logprobs: null, finish_reason: ctx.finish };
  if (q.vllmDetails) choice.stop_reason = null;
  if (q.azureFilters) choice.content_filter_results = filter;
  if (q.envelope === "minimal") return { id: ctx.id, choices: [choice], usage };
  return {
    id: ctx.id,
    object: "chat.completion",
    created: 1770933883,
    model: ctx.model,
    ...promptFilter,
    choices: [choice],
    usage,
    ...(q.name === "openai" && { service_tier: "default" }),
    system_fingerprint: "fp_fake",
  };
}

// --- the server ----------------------------------------------------------------------------

/** Why the request is not what this provider accepts, as that provider would answer; `null` when fine. */
export function rejectRequest(q: Quirks, req: RecordedRequest): ScriptedResponse | null {
  const url = new URL(req.url, "http://fake");
  if (req.method !== "POST" || url.pathname !== q.path) {
    return jsonResponse(
      404,
      q.errorBody(404, `Unknown request URL: ${req.method} ${url.pathname}`, "invalid_request_error", "unknown_url"),
    );
  }
  if (q.query) {
    const got = Object.fromEntries(url.searchParams);
    if (JSON.stringify(got) !== JSON.stringify(q.query)) {
      return jsonResponse(404, q.errorBody(404, `Resource not found (query ${url.search || "(none)"})`, "invalid_request_error", "404"));
    }
  }
  const auth = q.auth;
  if (auth) {
    const bearer = req.headers.authorization;
    const apiKey = req.headers["api-key"];
    const ok =
      auth.scheme === "bearer"
        ? bearer === `Bearer ${auth.key}` && apiKey === undefined
        : auth.scheme === "api-key"
          ? apiKey === auth.key && bearer === undefined
          : bearer === undefined && apiKey === undefined;
    if (!ok) {
      const message =
        auth.scheme === "api-key"
          ? "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."
          : "Incorrect API key provided.";
      return jsonResponse(401, q.errorBody(401, message, "invalid_request_error", auth.scheme === "api-key" ? "401" : "invalid_api_key"));
    }
  }
  return null;
}

/**
 * What the provider refuses in `tools` / `tool_choice`, as it answers; `null` when fine.
 * OpenAI's messages are its own (the named-function one as its Responses API words it); vLLM's
 * are its validators' messages in its error body (vLLM wraps them in a validation report). AI21
 * and the remote servers are taken to check as OpenAI does.
 */
export function toolUseProblem(q: Quirks, body: any): ScriptedResponse | null {
  if (q.api !== "chat" || !body || typeof body !== "object") return null;
  const tools: unknown = body.tools;
  const choice: unknown = body.tool_choice;
  const refuse = (message: string, param: string, code: string | null = null) => {
    const error = q.errorBody(400, message, "invalid_request_error", code) as any;
    if (q.toolChecks === "openai" && error.error) error.error.param = param;
    return jsonResponse(400, error);
  };
  const openai = q.toolChecks === "openai";
  if (Array.isArray(tools) && tools.length === 0) {
    return openai
      ? refuse(
          "Invalid 'tools': empty array. Expected an array with minimum length 1, but got an empty array instead.",
          "tools",
          "empty_array",
        )
      : refuse("`tools` must not be an empty array. Either provide at least one tool or omit the field entirely.", "tools");
  }
  if (choice === undefined || choice === null || (!openai && choice === "none")) return null;
  if (tools === undefined || tools === null) {
    return openai
      ? refuse("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", "tool_choice")
      : refuse("When using `tool_choice`, `tools` must be set.", "tool_choice");
  }
  const named = typeof choice === "object" ? (choice as any).function?.name : undefined;
  if (named !== undefined && !(tools as any[]).some((t) => t?.function?.name === named)) {
    return openai
      ? refuse("Tool choice 'function' not found in 'tools' parameter.", "tool_choice")
      : refuse("The tool specified in `tool_choice` does not match any of the specified `tools`", "tool_choice");
  }
  return null;
}

export type AnswerFn = (request: RecordedRequest) => OpenAIAnswer | ScriptedResponse;

export interface CompatibleFake extends FakeUpstream {
  quirks: Quirks;
  /** Replaces the answer for the next requests. */
  answer(fn: AnswerFn): void;
}

export function isScripted(answer: OpenAIAnswer | ScriptedResponse): answer is ScriptedResponse {
  return "status" in answer || "body" in answer;
}

/** What the fake answers until told otherwise. */
export const defaultAnswer: AnswerFn = () => ({ text: ["Hello", " from", " the fake"], usage: { prompt_tokens: 9, completion_tokens: 4 } });

export async function startCompatibleFake(quirks: Quirks, options: { answer?: AnswerFn; port?: number } = {}): Promise<CompatibleFake> {
  let answerFn: AnswerFn = options.answer ?? defaultAnswer;
  const fake = await startFakeUpstream((req) => {
    const rejected = rejectRequest(quirks, req) ?? toolUseProblem(quirks, req.body);
    if (rejected) return rejected;
    const answer = answerFn(req);
    return isScripted(answer) ? answer : compatibleResponse(quirks, req, answer);
  }, options.port);
  return Object.assign(fake, {
    quirks,
    answer(fn: AnswerFn) {
      answerFn = fn;
    },
  });
}

if (import.meta.main) {
  const flavour = (process.argv[2] ?? "vllm") as Flavour;
  const apiKey = process.env.API_KEY ?? "test-key";
  const deployment = process.env.DEPLOYMENT ?? "gpt4o-prod";
  const make = QUIRKS[flavour] as (o: { apiKey: string; deployment: string }) => Quirks;
  if (!make) throw new Error(`unknown flavour "${flavour}"; one of ${Object.keys(QUIRKS).join(", ")}`);
  const quirks = make({ apiKey, deployment });
  const fake = await startCompatibleFake(quirks, { port: Number(process.env.PORT ?? 8082) });
  console.log(
    `fake ${flavour} upstream: POST ${fake.url}${quirks.path}${quirks.query ? `?${new URLSearchParams(quirks.query)}` : ""} (auth: ${quirks.auth?.scheme ?? "unchecked"})`,
  );
}
