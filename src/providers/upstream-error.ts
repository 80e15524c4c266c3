/**
 * The one mapping from an upstream failure to our error codes (`src/core/errors.ts`), shared by
 * every provider: the HTTP statuses, the network's failures, a broken answer. The classification
 * (`classify-failure.ts`) calls it with what a provider recognised in its SDK's errors.
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
  const detail = clipMessage(failure.message?.trim() || `HTTP ${status}`);
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

/** Longest upstream message passed on: an error page is not a message, and it goes to logs and usage events. */
export const MAX_UPSTREAM_MESSAGE_CHARS = 2000;

export function clipMessage(message: string): string {
  return message.length > MAX_UPSTREAM_MESSAGE_CHARS ? `${message.slice(0, MAX_UPSTREAM_MESSAGE_CHARS)}…` : message;
}

/** Error codes of a connection that was there and went away (reset, closed, broken pipe). */
const LOST_CONNECTION_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "ECONNABORTED",
  "ConnectionClosed",
  "ERR_STREAM_PREMATURE_CLOSE",
  "UND_ERR_SOCKET",
]);

/**
 * Codes of failures of the network itself, as Bun's fetch and node:http report them: refused,
 * reset, DNS, unreachable, TLS. Nothing else a request can throw is the network's.
 */
const NETWORK_CODE =
  /^(E[A-Z]+|EAI_[A-Z]+|ERR_(TLS|SSL|SOCKET|HTTP2)_\w+|ERR_STREAM_PREMATURE_CLOSE|UND_ERR_\w+|CERT_\w+|UNABLE_TO_\w+|SELF_SIGNED_\w+|DEPTH_ZERO_\w+|HPE_\w+|Connection\w+|FailedToOpenSocket|TLSHandshake\w*)$/;
const NETWORK_MESSAGE = /\b(ECONNRESET|ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EPIPE|EAI_AGAIN|socket hang up|socket connection was closed)\b/i;

/** The first value of the error's `cause` chain that `test` accepts. */
function inCauseChain<T>(error: unknown, test: (value: unknown) => value is T): T | undefined {
  let value = error;
  for (let depth = 0; depth < 8 && value != null; depth++) {
    if (test(value)) return value;
    value = (value as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A GatewayError raised inside an SDK call (e.g. by a capped body) and wrapped by the SDK. */
export function gatewayErrorIn(error: unknown): GatewayError | undefined {
  return inCauseChain(error, (v): v is GatewayError => v instanceof GatewayError);
}

interface NetworkFailure extends Error {
  code?: string;
}

/** The network failure behind `error` (itself or a cause), if it is one. */
export function networkFailureIn(error: unknown): NetworkFailure | undefined {
  return inCauseChain(error, (v): v is NetworkFailure => {
    if (!(v instanceof Error)) return false;
    const code = (v as NetworkFailure).code;
    return typeof code === "string" ? NETWORK_CODE.test(code) : NETWORK_MESSAGE.test(v.message);
  });
}

/** The technical detail of a failure, for a log field (never for a client): its code, or name and message. */
export function failureDetail(error: unknown): string | undefined {
  const network = networkFailureIn(error);
  if (network) return network.code ?? network.message;
  const cause = error instanceof GatewayError ? error.cause : error;
  if (cause === undefined || cause instanceof GatewayError) return undefined;
  const text = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

/**
 * A request that got no HTTP answer. Only a failure of the network (refused, reset, DNS, TLS) is
 * the upstream's, and retryable; anything else thrown before an answer is our own failure to send
 * the request, which neither a retry nor another target would cure, and which says nothing about
 * the upstream's health.
 */
export function upstreamConnectionError(providerType: string, cause: unknown): GatewayError {
  const network = networkFailureIn(cause);
  if (!network) return ownFailure(providerType, cause);
  const lost = LOST_CONNECTION_CODES.has(network.code ?? "") || /socket hang up|closed unexpectedly/i.test(network.message);
  const message = lost ? connectionLostMessage(providerType) : `could not reach ${providerType}`;
  return new GatewayError("upstream_error", message, { retryable: true, cause });
}

function connectionLostMessage(providerType: string): string {
  return `connection to ${providerType} lost: the upstream closed the connection`;
}

/** The connection went away while an answer was being read. */
export function upstreamConnectionLost(providerType: string, cause: unknown): GatewayError {
  return new GatewayError("upstream_error", connectionLostMessage(providerType), { retryable: true, cause });
}

/** Our own code failed before anything was sent (a bug, an input it could not serialise): a 500, never the upstream's. */
export function ownFailure(providerType: string, cause: unknown): GatewayError {
  return new GatewayError("internal_error", `the service failed to send the request to ${providerType}`, { cause });
}

/**
 * An answer that broke after it started, streamed or not: an error event inside a stream, garbage
 * where JSON was due. The wording says nothing of streams: a JSON request gets it too.
 */
export function upstreamAnswerError(providerType: string, message: string, cause?: unknown): GatewayError {
  return new GatewayError("upstream_error", `${providerType} answer failed: ${clipMessage(message)}`, { retryable: true, cause });
}

/**
 * Any other thrown failure, by when it happened. Before an answer (`request`): a connection failure
 * or our own (see `upstreamConnectionError`). While an answer is read (`read`): a lost connection,
 * or else a broken stream.
 */
export function upstreamThrownError(providerType: string, error: unknown, phase: "request" | "read"): GatewayError {
  const raised = gatewayErrorIn(error);
  if (raised) return raised;
  if (phase === "request") return upstreamConnectionError(providerType, error);
  if (networkFailureIn(error)) return upstreamConnectionLost(providerType, error);
  const message = error instanceof Error ? error.message : String(error);
  return upstreamAnswerError(providerType, error instanceof SyntaxError ? `malformed JSON: ${message}` : message, error);
}
