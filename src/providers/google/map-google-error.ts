/**
 * `@google/genai` failures → ours, through the shared upstream mapping.
 *
 * The SDK's `ApiError` keeps only the status and a message holding Google's error body as JSON
 * (after `got status: …. ` for an error object inside a 200 stream), so the body is parsed back
 * out of it: `{"error":{"code","message","status","details"}}`.
 */
import { ApiError } from "@google/genai";
import { GatewayError } from "../../core/errors";
import { clipMessage, gatewayErrorIn, upstreamHttpError, upstreamAnswerError, upstreamThrownError } from "../upstream-error";

const PROVIDER = "google";

export interface GoogleErrorBody {
  code?: number;
  message?: string;
  status?: string;
  details?: { "@type"?: string; reason?: string; retryDelay?: string }[];
}

export interface GoogleErrorContext {
  /** The call's signal: once aborted, the execution knows why (client gone, our timeout). */
  signal: AbortSignal;
  /** A 2xx answer is being read: a failure now is the stream's, not the connection's. */
  reading: boolean;
  /** Events were already yielded: the failure is in-band, after part of the answer. */
  yielded: boolean;
}

export function parseGoogleErrorBody(text: string): GoogleErrorBody | undefined {
  const at = text.indexOf("{");
  if (at < 0) return undefined;
  try {
    const error = (JSON.parse(text.slice(at)) as { error?: unknown }).error;
    return error && typeof error === "object" ? (error as GoogleErrorBody) : undefined;
  } catch {
    return undefined;
  }
}

export function mapGoogleError(error: unknown, ctx: GoogleErrorContext): GatewayError {
  const raised = gatewayErrorIn(error);
  if (raised) return raised;
  if (ctx.signal.aborted) return new GatewayError("upstream_error", "request aborted", { cause: error });
  if (error instanceof ApiError) {
    const body = parseGoogleErrorBody(error.message);
    const message = clipMessage(body?.message ?? error.message);
    if (ctx.yielded) {
      return upstreamAnswerError(PROVIDER, body?.status ? `${message} (${body.status})` : message, error);
    }
    // Before any output an error object in the stream is a refusal of the request, like an HTTP error.
    const retryDelay = retryDelaySeconds(body);
    return upstreamHttpError(PROVIDER, {
      status: error.status,
      message,
      providerCode: body?.status,
      headers: retryDelay === undefined ? undefined : { "retry-after": String(retryDelay) },
      credentialsRejected: isKeyRejection(body),
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  if (message.startsWith("exception parsing stream chunk ")) {
    return upstreamAnswerError(PROVIDER, `malformed chunk: ${message.slice("exception parsing stream chunk ".length)}`, error);
  }
  if (message === "Incomplete JSON segment at the end") {
    return upstreamAnswerError(PROVIDER, "the stream ended in the middle of an event", error);
  }
  if (error instanceof SyntaxError) {
    // The SDK parses each event (and a JSON answer) only when it hands it over.
    return ctx.reading
      ? upstreamAnswerError(PROVIDER, `malformed chunk: ${message}`, error)
      : new GatewayError("upstream_error", `${PROVIDER} answered with malformed JSON: ${message}`, { retryable: true, cause: error });
  }
  return upstreamThrownError(PROVIDER, error, ctx.reading ? "read" : "request");
}

/** `RetryInfo.retryDelay` ("34.4s"), Google's way of saying when to come back. */
function retryDelaySeconds(body: GoogleErrorBody | undefined): number | undefined {
  for (const d of body?.details ?? []) {
    if (typeof d?.retryDelay !== "string") continue;
    const match = /^(\d+(?:\.\d+)?)s$/.exec(d.retryDelay.trim());
    if (match) return Number(match[1]);
  }
  return undefined;
}

/** A bad or expired key is a 400 `INVALID_ARGUMENT` at Google: our credentials, not the client's request. */
function isKeyRejection(body: GoogleErrorBody | undefined): boolean {
  if (!body) return false;
  if (body.details?.some((d) => typeof d?.reason === "string" && d.reason.startsWith("API_KEY_"))) return true;
  return typeof body.message === "string" && /\bAPI key (not valid|expired)/i.test(body.message);
}
