/**
 * Our errors in OpenAI's shape, `{"error": {message, type, param, code}}`, with our status: the
 * `openai` SDK picks its exception class by status (BadRequestError, AuthenticationError,
 * NotFoundError, RateLimitError, InternalServerError) and reads the message from this body.
 */
import type { GatewayError, ErrorCode } from "../../core/errors";

const TYPE_BY_STATUS: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  404: "invalid_request_error",
  413: "invalid_request_error",
  429: "rate_limit_error",
};

const STATUS_BY_CODE: Partial<Record<string, number>> = { rate_limited: 429, unauthorized: 401, model_not_found: 404 };

export function openAIErrorType(status: number): string {
  return TYPE_BY_STATUS[status] ?? "server_error";
}

/** The error object; `code` is ours (`model_not_found`, `rate_limited`, `upstream_error`, …). */
export function openAIErrorBody(
  code: ErrorCode | string,
  message: string,
  status?: number,
  param: string | null = null,
): Record<string, unknown> {
  const type = openAIErrorType(status ?? STATUS_BY_CODE[code] ?? (code.includes("invalid") ? 400 : 500));
  return { error: { message, type, param, code } };
}

export function openAIErrorResponse(error: GatewayError, requestId: string): Response {
  const headers: Record<string, string> = { "content-type": "application/json", "x-request-id": requestId };
  if (error.retryAfter !== undefined && error.status === 429) headers["retry-after"] = String(error.retryAfter);
  if (error.headers) Object.assign(headers, error.headers);
  if (error.status === 401) headers["www-authenticate"] = "Bearer";
  const param = error.details?.[0]?.field ?? null;
  return new Response(JSON.stringify(openAIErrorBody(error.code, error.message, error.status, param)), { status: error.status, headers });
}
