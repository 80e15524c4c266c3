/**
 * Anthropic's failures as the shared classification reads them (`classify-failure.ts`). An error
 * event inside a 200 stream (`event: error`, or a decoded Bedrock chunk of type `error`) is
 * classed by its `error.type`, so an overload before the first byte is still retried elsewhere
 * and a rate limit is still a rate limit; a 402 is the service's account, not the request.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "@anthropic-ai/sdk";
import type { GatewayError } from "../../core/errors";
import { describedFailure, type FailureDescription } from "../classify-failure";

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
export function readAnthropicErrorBody(body: unknown): { code?: string; message?: string } {
  if (typeof body === "string") return body.length <= MAX_MESSAGE_LENGTH && !body.trimStart().startsWith("<") ? { message: body } : {};
  if (!body || typeof body !== "object") return {};
  const b = body as { error?: unknown; type?: unknown; message?: unknown };
  if (b.error && typeof b.error === "object") return readAnthropicErrorBody(b.error);
  return {
    code: typeof b.type === "string" && b.type !== "error" ? b.type : undefined,
    message: typeof b.message === "string" ? b.message.slice(0, MAX_MESSAGE_LENGTH) : undefined,
  };
}

/** An error event inside a stream that had already answered 200, described by its `error.type`. */
export function describeAnthropicErrorEvent(body: unknown): FailureDescription {
  const read = readAnthropicErrorBody(body);
  const { code, message } = read;
  const status = code === undefined ? undefined : STATUS_OF_ERROR_TYPE[code];
  if (status === 402) return { kind: "account-refused", message };
  const detail = message ?? "error event";
  return { kind: "in-band", detail: code ? `${detail} (${code})` : detail, status, body: read };
}

/** An error event the translator met in the stream, classified as the runner would classify it. */
export function anthropicStreamError(providerType: string, body: unknown, cause?: unknown): GatewayError {
  return describedFailure(providerType, describeAnthropicErrorEvent(body), cause);
}

export function describeAnthropicFailure(error: unknown): FailureDescription | undefined {
  if (error instanceof APIUserAbortError) return { kind: "aborted" };
  if (error instanceof APIConnectionTimeoutError) return { kind: "timeout" };
  if (error instanceof APIConnectionError) return { kind: "connection", cause: error.cause ?? error };
  if (error instanceof APIError) {
    if (error.status === undefined) return describeAnthropicErrorEvent(error.error);
    const { code, message } = readAnthropicErrorBody(error.error);
    if (error.status === 402) return { kind: "account-refused", message };
    return { kind: "http", status: error.status, body: { message, code: code ?? error.type ?? undefined }, headers: error.headers };
  }
  if (error instanceof SyntaxError) return { kind: "malformed", message: `malformed event: ${error.message}` };
  return undefined;
}
