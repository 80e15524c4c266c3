/**
 * Our errors in Anthropic's shape, `{"type":"error","error":{type, message},"request_id"}`, with
 * our status: `@anthropic-ai/sdk` picks its exception class by status and reads this body.
 */
import type { GatewayError } from "../../core/errors";

const TYPE_BY_STATUS: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  503: "overloaded_error",
  504: "timeout_error",
};

const STATUS_BY_CODE: Partial<Record<string, number>> = { rate_limited: 429, unavailable: 503, upstream_timeout: 504 };

export function anthropicErrorType(status: number): string {
  return TYPE_BY_STATUS[status] ?? "api_error";
}

export function anthropicErrorBody(code: string, message: string, requestId: string, status?: number): Record<string, unknown> {
  return { type: "error", error: { type: anthropicErrorType(status ?? STATUS_BY_CODE[code] ?? 500), message }, request_id: requestId };
}

export function anthropicErrorResponse(error: GatewayError, requestId: string): Response {
  const headers: Record<string, string> = { "content-type": "application/json", "x-request-id": requestId, "request-id": requestId };
  if (error.retryAfter !== undefined && error.status === 429) headers["retry-after"] = String(error.retryAfter);
  if (error.headers) Object.assign(headers, error.headers);
  return new Response(JSON.stringify(anthropicErrorBody(error.code, error.message, requestId, error.status)), {
    status: error.status,
    headers,
  });
}
