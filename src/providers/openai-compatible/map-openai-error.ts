/** The `openai` SDK's errors → ours, for every provider served through that SDK. */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai/core/error";
import { GatewayError } from "../../core/errors";
import { gatewayErrorIn, upstreamConnectionError, upstreamHttpError, upstreamAnswerError, upstreamThrownError } from "../upstream-error";
import { UpstreamStreamChunkError } from "./openai-chunks-to-events";

interface ErrorBodyLike {
  message?: unknown;
  detail?: unknown;
  code?: unknown;
  type?: unknown;
  error?: unknown;
  innererror?: { code?: unknown; content_filter_result?: unknown } | null;
}

interface BodyFacts {
  message?: string;
  code?: string;
  /** Azure's content filter: the categories it flagged, e.g. `hate: high`. */
  filtered?: string[];
}

/**
 * The provider's message from any of the family's body shapes: `{error:{…}}`, flat
 * `{"object":"error",…}` (codes may be integers: vLLM), `{detail}` as a string or as FastAPI's
 * list of `{loc, msg}` (AI21, vLLM validation), or plain text.
 */
function bodyFacts(body: unknown): BodyFacts {
  if (!body || typeof body !== "object") return typeof body === "string" ? { message: body } : {};
  const b = body as ErrorBodyLike;
  if (b.error && typeof b.error === "object") return bodyFacts(b.error);
  if (typeof b.error === "string") return { message: b.error };
  const message = typeof b.message === "string" ? b.message : b.detail !== undefined ? detailMessage(b.detail) : undefined;
  const code =
    typeof b.code === "string" ? b.code : typeof b.code === "number" ? String(b.code) : typeof b.type === "string" ? b.type : undefined;
  const facts: BodyFacts = { message, code };
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

/** `phase`: `request` until the response headers arrived, `read` while the answer is read. */
export function mapOpenAIError(providerType: string, error: unknown, phase: "request" | "read"): GatewayError {
  const raised = gatewayErrorIn(error);
  if (raised) return raised;
  if (error instanceof APIUserAbortError) {
    return new GatewayError("upstream_error", "request aborted", { cause: error });
  }
  if (error instanceof APIConnectionTimeoutError) {
    return new GatewayError("upstream_timeout", `${providerType} timed out`, { retryable: true, cause: error });
  }
  if (error instanceof APIConnectionError) return upstreamConnectionError(providerType, error.cause ?? error);
  if (error instanceof APIError) {
    const facts = bodyFacts(error.error);
    if (error.status === undefined) {
      // An error object inside a 200 stream.
      return upstreamAnswerError(providerType, facts.message ?? error.message, error);
    }
    // With no JSON body the SDK's message is "<status> <body text>"; the status is said once.
    let message = facts.message ?? error.message.replace(new RegExp(`^${error.status} `), "");
    if (facts.code === "content_filter") {
      const flagged = facts.filtered?.length ? ` (${facts.filtered.join(", ")})` : "";
      message = `${providerType} content filter blocked the prompt${flagged}: ${message}`;
    }
    return upstreamHttpError(providerType, {
      status: error.status,
      message,
      providerCode: facts.code ?? (typeof error.code === "string" ? error.code : undefined),
      headers: error.headers,
      cause: error,
    });
  }
  if (error instanceof UpstreamStreamChunkError) return upstreamAnswerError(providerType, error.message, error);
  if (error instanceof SyntaxError) return upstreamAnswerError(providerType, `malformed JSON: ${error.message}`, error);
  return upstreamThrownError(providerType, error, phase);
}
