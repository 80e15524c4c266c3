/**
 * The one mapping from an upstream HTTP failure to the contract's errors (CONTRACT §2), shared by
 * every provider. Provider modules extract status, message and headers from their SDK's error
 * classes and call this.
 */
import { GatewayError } from "../core/errors";

export interface UpstreamFailure {
  status: number;
  /** The provider's own message; passed on for content refusals, never for credential failures. */
  message?: string;
  /** The provider's error code/type, e.g. `context_length_exceeded`, `overloaded_error`. */
  providerCode?: string;
  headers?: Headers | Record<string, string | null | undefined>;
  /** The body says our key is bad though the status does not (Gemini: 400 `API_KEY_INVALID`). */
  credentialsRejected?: boolean;
  cause?: unknown;
}

/** Longest `Retry-After` we pass on or honour, in seconds. */
export const MAX_RETRY_AFTER_SECONDS = 60;

export function retryAfterSeconds(headers: UpstreamFailure["headers"]): number | undefined {
  if (!headers) return undefined;
  const get = (name: string): string | null | undefined =>
    headers instanceof Headers ? headers.get(name) : (headers[name] ?? headers[name.toLowerCase()]);
  const ms = get("retry-after-ms");
  if (ms && Number.isFinite(Number(ms))) return clamp(Number(ms) / 1000);
  const value = get("retry-after");
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return clamp(seconds);
  const date = Date.parse(value);
  if (Number.isFinite(date)) return clamp((date - Date.now()) / 1000);
  return undefined;
}

function clamp(seconds: number): number {
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(0, Math.ceil(seconds)));
}

export function upstreamHttpError(providerType: string, failure: UpstreamFailure): GatewayError {
  const { status, cause } = failure;
  const detail = failure.message?.trim() || `HTTP ${status}`;
  const options = { upstreamStatus: status, cause };
  if (status === 401 || status === 403 || failure.credentialsRejected) {
    return new GatewayError("upstream_error", `${providerType} rejected the service's credentials (HTTP ${status})`, {
      ...options,
      credentialsRejected: true,
    });
  }
  if (status === 429) {
    if (failure.providerCode === "insufficient_quota") {
      return new GatewayError("upstream_error", `${providerType} quota exhausted: ${detail}`, options);
    }
    return new GatewayError("rate_limited", `${providerType} rate limit: ${detail}`, {
      ...options,
      retryable: true,
      retryAfter: retryAfterSeconds(failure.headers),
    });
  }
  if (status === 408 || status === 504) {
    return new GatewayError("upstream_timeout", `${providerType} timed out (HTTP ${status})`, { ...options, retryable: true });
  }
  if (status === 404) {
    return new GatewayError("upstream_error", `${providerType} has no such model or deployment: ${detail}`, options);
  }
  if (status === 413) {
    return new GatewayError("upstream_invalid_request", `${providerType} refused the request as too large: ${detail}`, options);
  }
  if (status >= 400 && status < 500) {
    return new GatewayError("upstream_invalid_request", detail, options);
  }
  // 500, 502, 503, 529 (Anthropic overloaded) and the rest of 5xx may succeed on a retry.
  return new GatewayError("upstream_error", `${providerType} failed (HTTP ${status}): ${detail}`, {
    ...options,
    retryable: true,
    retryAfter: retryAfterSeconds(failure.headers),
  });
}

/** A failure with no HTTP answer: refused, reset, DNS, TLS. Retryable while nothing reached the client. */
export function upstreamConnectionError(providerType: string, cause: unknown): GatewayError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new GatewayError("upstream_error", `could not reach ${providerType}: ${message}`, { retryable: true, cause });
}

/** A stream that broke after it started: a mid-stream error event, a reset, garbage. */
export function upstreamStreamError(providerType: string, message: string, cause?: unknown): GatewayError {
  return new GatewayError("upstream_error", `${providerType} stream failed: ${message}`, { retryable: true, cause });
}
