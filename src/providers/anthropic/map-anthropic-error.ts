/**
 * Anthropic's errors → ours. HTTP failures go through the shared `upstreamHttpError`; an error
 * event inside a 200 stream (`event: error`, or a decoded Bedrock chunk of type `error`) is mapped
 * by its `error.type`, so an overload before the first byte is still retried elsewhere and a
 * rate limit is still a rate limit.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "@anthropic-ai/sdk";
import { GatewayError } from "../../core/errors";
import { gatewayErrorIn, upstreamConnectionError, upstreamHttpError, upstreamAnswerError, upstreamThrownError } from "../upstream-error";

/** The HTTP status each documented `error.type` comes with. */
const STATUS_OF_ERROR_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** Longest provider message passed on; a proxy's HTML error page is not a message. */
const MAX_MESSAGE_LENGTH = 1000;

/** `{type:"error", error:{type, message}}` (also tolerates a bare `{type, message}` and text). */
export function anthropicErrorBody(body: unknown): { type?: string; message?: string } {
  if (typeof body === "string") return body.length <= MAX_MESSAGE_LENGTH && !body.trimStart().startsWith("<") ? { message: body } : {};
  if (!body || typeof body !== "object") return {};
  const b = body as { error?: unknown; type?: unknown; message?: unknown };
  if (b.error && typeof b.error === "object") return anthropicErrorBody(b.error);
  return {
    type: typeof b.type === "string" && b.type !== "error" ? b.type : undefined,
    message: typeof b.message === "string" ? b.message.slice(0, MAX_MESSAGE_LENGTH) : undefined,
  };
}

function billingError(providerType: string, message: string | undefined, cause: unknown): GatewayError {
  // The service's account cannot pay: the target is unusable, the request is fine.
  return new GatewayError("upstream_error", `${providerType} refused the service's account (HTTP 402): ${message ?? "billing error"}`, {
    upstreamStatus: 402,
    credentialsRejected: true,
    cause,
  });
}

/** An error reported inside a stream that had already answered 200. */
export function anthropicStreamError(providerType: string, body: unknown, cause?: unknown): GatewayError {
  const { type, message } = anthropicErrorBody(body);
  const status = type === undefined ? undefined : STATUS_OF_ERROR_TYPE[type];
  const detail = message ?? "error event";
  if (status === 402) return billingError(providerType, message, cause);
  if (status !== undefined && (status < 500 || status === 504)) {
    const mapped = upstreamHttpError(providerType, { status, message, providerCode: type, cause });
    if (mapped.code === "upstream_invalid_request") return mapped;
    // Same class of error as the HTTP status would be, but there was no such status to cite.
    return new GatewayError(mapped.code, `${providerType} answer failed: ${detail} (${type})`, {
      retryable: mapped.retryable,
      credentialsRejected: mapped.credentialsRejected,
      cause,
    });
  }
  return upstreamAnswerError(providerType, type ? `${detail} (${type})` : detail, cause);
}

/**
 * `phase`: `request` until the SDK call returned (the request is built, sent, and for a JSON answer
 * read, inside it), `read` while a stream is read.
 */
export function mapAnthropicError(providerType: string, error: unknown, phase: "request" | "read"): GatewayError {
  const raised = gatewayErrorIn(error);
  if (raised) return raised;
  if (error instanceof APIUserAbortError) return new GatewayError("upstream_error", "request aborted", { cause: error });
  if (error instanceof APIConnectionTimeoutError) {
    return new GatewayError("upstream_timeout", `${providerType} timed out`, { retryable: true, cause: error });
  }
  if (error instanceof APIConnectionError) return upstreamConnectionError(providerType, error.cause ?? error);
  if (error instanceof APIError) {
    if (error.status === undefined) return anthropicStreamError(providerType, error.error, error);
    const { type, message } = anthropicErrorBody(error.error);
    if (error.status === 402) return billingError(providerType, message, error);
    return upstreamHttpError(providerType, {
      status: error.status,
      message,
      providerCode: type ?? error.type ?? undefined,
      headers: error.headers,
      cause: error,
    });
  }
  if (error instanceof SyntaxError) return upstreamAnswerError(providerType, `malformed event: ${error.message}`, error);
  return upstreamThrownError(providerType, error, phase);
}
