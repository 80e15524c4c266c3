/** The `openai` SDK's errors → ours, for every provider served through that SDK. */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { GatewayError, isGatewayError } from "../../core/errors";
import { upstreamConnectionError, upstreamHttpError, upstreamStreamError } from "../upstream-error";

interface ErrorBodyLike {
  message?: unknown;
  detail?: unknown;
  code?: unknown;
  type?: unknown;
  error?: unknown;
}

/** The provider's message from any of the family's body shapes: `{error:{…}}`, flat, `{detail}`. */
function bodyMessage(body: unknown): { message?: string; code?: string } {
  if (!body || typeof body !== "object") return typeof body === "string" ? { message: body } : {};
  const b = body as ErrorBodyLike;
  if (b.error && typeof b.error === "object") return bodyMessage(b.error);
  if (typeof b.error === "string") return { message: b.error };
  const message =
    typeof b.message === "string" ? b.message : b.detail !== undefined ? (typeof b.detail === "string" ? b.detail : JSON.stringify(b.detail)) : undefined;
  const code = typeof b.code === "string" ? b.code : typeof b.type === "string" ? b.type : undefined;
  return { message, code };
}

export function mapOpenAIError(providerType: string, error: unknown): GatewayError {
  if (isGatewayError(error)) return error;
  if (error instanceof APIUserAbortError) {
    return new GatewayError("upstream_error", "request aborted", { cause: error });
  }
  if (error instanceof APIConnectionTimeoutError) {
    return new GatewayError("upstream_timeout", `${providerType} timed out`, { retryable: true, cause: error });
  }
  if (error instanceof APIConnectionError) return upstreamConnectionError(providerType, error.cause ?? error);
  if (error instanceof APIError) {
    const { message, code } = bodyMessage(error.error);
    if (error.status === undefined) {
      // An error object inside a 200 stream.
      return upstreamStreamError(providerType, message ?? error.message, error);
    }
    return upstreamHttpError(providerType, {
      status: error.status,
      message: message ?? error.message,
      providerCode: error.code ?? code,
      headers: error.headers,
      cause: error,
    });
  }
  if (error instanceof SyntaxError) return upstreamStreamError(providerType, `malformed chunk: ${error.message}`, error);
  const message = error instanceof Error ? error.message : String(error);
  return upstreamStreamError(providerType, message, error);
}
