/** The family's failures as the shared classification reads them (`classify-failure.ts`): the `openai` SDK's classes, which our fetch transport raises too. */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai/core/error";
import type { ErrorBody, FailureDescription } from "../classify-failure";
import { UpstreamStreamChunkError } from "./openai-chunks-to-events";

interface ErrorBodyLike {
  message?: unknown;
  detail?: unknown;
  code?: unknown;
  type?: unknown;
  error?: unknown;
  innererror?: { code?: unknown; content_filter_result?: unknown } | null;
}

export interface OpenAIErrorBody extends ErrorBody {
  /** Azure's content filter: the categories it flagged, e.g. `hate: high`. */
  filtered?: string[];
}

/**
 * The provider's message from any of the family's body shapes: `{error:{…}}`, flat
 * `{"object":"error",…}` (codes may be integers: vLLM), `{detail}` as a string or as FastAPI's
 * list of `{loc, msg}` (AI21, vLLM validation), or plain text.
 */
export function readOpenAIErrorBody(body: unknown): OpenAIErrorBody {
  if (!body || typeof body !== "object") return typeof body === "string" ? { message: body } : {};
  const b = body as ErrorBodyLike;
  if (b.error && typeof b.error === "object") return readOpenAIErrorBody(b.error);
  if (typeof b.error === "string") return { message: b.error };
  const message = typeof b.message === "string" ? b.message : b.detail !== undefined ? detailMessage(b.detail) : undefined;
  const code =
    typeof b.code === "string" ? b.code : typeof b.code === "number" ? String(b.code) : typeof b.type === "string" ? b.type : undefined;
  const facts: OpenAIErrorBody = { message, code };
  if (code === "content_filter" || b.innererror?.code === "ResponsibleAIPolicyViolation") {
    facts.code = "content_filter";
    facts.filtered = flaggedCategories(b.innererror?.content_filter_result);
  }
  return facts;
}

function detailMessage(detail: unknown): string {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    const parts = detail.map((d: { loc?: unknown; msg?: unknown }) =>
      typeof d?.msg === "string" ? (Array.isArray(d.loc) ? `${d.loc.join(".")}: ${d.msg}` : d.msg) : JSON.stringify(d),
    );
    return parts.join("; ");
  }
  return JSON.stringify(detail);
}

function flaggedCategories(result: unknown): string[] {
  if (!result || typeof result !== "object") return [];
  const out: string[] = [];
  for (const [category, verdict] of Object.entries(
    result as Record<string, { filtered?: unknown; severity?: unknown; detected?: unknown }>,
  )) {
    if (verdict?.filtered === true) out.push(typeof verdict.severity === "string" ? `${category}: ${verdict.severity}` : category);
  }
  return out;
}

/** A prompt refused by Azure's content filter says so, and what it flagged. */
function contentFilterMessage(providerType: string, filtered: string[] | undefined, message: string): string {
  const flagged = filtered?.length ? ` (${filtered.join(", ")})` : "";
  return `${providerType} content filter blocked the prompt${flagged}: ${message}`;
}

export function describeOpenAIFailure(providerType: string, error: unknown): FailureDescription | undefined {
  if (error instanceof APIUserAbortError) return { kind: "aborted" };
  if (error instanceof APIConnectionTimeoutError) return { kind: "timeout" };
  if (error instanceof APIConnectionError) return { kind: "connection", cause: error.cause ?? error };
  if (error instanceof APIError) {
    const body = readOpenAIErrorBody(error.error);
    // An error object inside a 200 stream.
    if (error.status === undefined) return { kind: "in-band", detail: body.message ?? error.message };
    // With no JSON body the SDK's message is "<status> <body text>"; the status is said once.
    let message = body.message ?? error.message.replace(new RegExp(`^${error.status} `), "");
    if (body.code === "content_filter") message = contentFilterMessage(providerType, body.filtered, message);
    const code = body.code ?? (typeof error.code === "string" ? error.code : undefined);
    return { kind: "http", status: error.status, body: { message, code }, headers: error.headers };
  }
  if (error instanceof UpstreamStreamChunkError) return { kind: "in-band", detail: error.message };
  if (error instanceof SyntaxError) return { kind: "malformed", message: `malformed JSON: ${error.message}` };
  return undefined;
}
