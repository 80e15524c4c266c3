/**
 * The one classification of a provider's failure into ours, in the order every provider needs:
 *
 * 1. our own `GatewayError` raised under the SDK (a capped body, a credentials chain) is passed on;
 * 2. once our signal fired, whatever was thrown is the abort;
 * 3. the upstream or the SDK timed out;
 * 4. no HTTP answer came: a connection failure, or our own failure to send;
 * 5. an HTTP status, with the provider's message, code and headers;
 * 6. an answer that broke after it started: an error inside it, or one that cannot be read;
 * 7. anything else, by the phase it happened in.
 *
 * A provider only says what its SDK's failures are (`describeFailure`) and how its error body reads;
 * what each kind becomes is decided here and in `upstream-error.ts`, once.
 */
import { GatewayError } from "../core/errors";
import {
  gatewayErrorIn,
  upstreamAnswerError,
  upstreamConnectionError,
  upstreamConnectionLost,
  upstreamHttpError,
  upstreamThrownError,
  type UpstreamFailure,
} from "./upstream-error";

/** `request` until the upstream answered (headers, or the SDK call returned), `read` after. */
export type Phase = "request" | "read";

/** What a provider's error body says, read by the provider's own `read*ErrorBody`. */
export interface ErrorBody {
  /** The provider's message; passed on for refusals of the request, never for credential failures. */
  message?: string;
  /** The provider's error code or type, e.g. `context_length_exceeded`, `overloaded_error`. */
  code?: string;
  /** The body says our key is bad though the status does not (Gemini: 400 `API_KEY_INVALID`). */
  credentialsRejected?: boolean;
}

/** A failure as the provider's SDK reported it; anything not described is classified by its phase. */
export type FailureDescription =
  /** The SDK's own abort (our signal is checked before any description). */
  | { kind: "aborted" }
  /** The SDK's own timer fired. */
  | { kind: "timeout" }
  /** No HTTP answer: the network failure behind `cause`, or our own failure to send. */
  | { kind: "connection"; cause: unknown }
  /** The connection went away while an answer was read. */
  | { kind: "connection-lost" }
  /** A non-2xx answer. */
  | { kind: "http"; status: number; body: ErrorBody; headers?: UpstreamFailure["headers"] }
  /** The upstream refused the service's account (Anthropic's 402 `billing_error`). */
  | { kind: "account-refused"; message?: string }
  /**
   * An error reported inside a 2xx answer. `detail` is what follows "answer failed: ". With the
   * `status` its code stands for, it is classed as that status would be (a rate limit stays one).
   */
  | { kind: "in-band"; detail: string; status?: number; body?: ErrorBody; headers?: UpstreamFailure["headers"] }
  /** An answer that broke while it was read: "<provider> answer failed: <message>". */
  | { kind: "malformed"; message: string }
  /** A whole answer that is not what was asked for: "<provider> answered with <what>". */
  | { kind: "unreadable"; what: string; status?: number }
  /** Our request did not pass the SDK's own checks: a bug of ours, never the upstream's. */
  | { kind: "not-built"; message: string }
  /** The upstream had answered, whatever the phase says: a failure of the answer's. */
  | { kind: "answered" };

/** The failure-related parts of a provider (`ProviderParts`). */
export interface FailureParts<Translator> {
  /** Recognises the SDK's failures; `undefined` for what the shared steps know by themselves. */
  describeFailure?(error: unknown, phase: Phase, translator: Translator): FailureDescription | undefined;
  /** Our own error as the SDK handed it back (some append to its message). */
  ownError?(raised: GatewayError): GatewayError;
}

export function classifyFailure<Translator>(
  type: string,
  error: unknown,
  phase: Phase,
  signal: AbortSignal,
  parts: FailureParts<Translator>,
  translator: Translator,
): GatewayError {
  const raised = gatewayErrorIn(error);
  if (raised) return parts.ownError ? parts.ownError(raised) : raised;
  if (signal.aborted) return abortFailure(error, signal);
  const failure = parts.describeFailure?.(error, phase, translator);
  return failure === undefined ? upstreamThrownError(type, error, phase) : describedFailure(type, failure, error);
}

/** What a described failure is; `error` is what was thrown (the cause). */
export function describedFailure(type: string, failure: FailureDescription, error: unknown): GatewayError {
  switch (failure.kind) {
    case "aborted":
      return new GatewayError("upstream_error", "request aborted", { cause: error });
    case "timeout":
      return new GatewayError("upstream_timeout", `${type} timed out`, { retryable: true, cause: error });
    case "connection":
      return upstreamConnectionError(type, failure.cause);
    case "connection-lost":
      return upstreamConnectionLost(type, error);
    case "http": {
      const { message, code, credentialsRejected } = failure.body;
      return upstreamHttpError(type, {
        status: failure.status,
        message,
        providerCode: code,
        headers: failure.headers,
        credentialsRejected,
        cause: error,
      });
    }
    case "account-refused":
      return upstreamAccountRefused(type, failure.message, error);
    case "in-band":
      return inBandFailure(type, failure, error);
    case "malformed":
      return upstreamAnswerError(type, failure.message, error);
    case "unreadable":
      return new GatewayError("upstream_error", `${type} answered with ${failure.what}`, {
        retryable: true,
        upstreamStatus: failure.status,
        cause: error,
      });
    case "not-built":
      return new GatewayError("internal_error", `could not build the ${type} request: ${failure.message}`, { cause: error });
    case "answered":
      return upstreamThrownError(type, error, "read");
  }
}

/**
 * An abort means the same for every provider: once our signal fired, whatever the SDK threw is
 * the abort — the signal's reason when it is ours (a timeout, shutting down), else "request
 * aborted".
 */
function abortFailure(error: unknown, signal: AbortSignal): GatewayError {
  const reason: unknown = signal.reason;
  return reason instanceof GatewayError ? reason : new GatewayError("upstream_error", "request aborted", { cause: error });
}

/**
 * An error inside a 2xx answer. With a status, the same class of error as that status would be
 * (a refused request stays the client's, a rate limit stays retryable), but there was no such
 * status to cite.
 */
function inBandFailure(
  type: string,
  failure: { detail: string; status?: number; body?: ErrorBody; headers?: UpstreamFailure["headers"] },
  cause: unknown,
): GatewayError {
  if (failure.status === undefined) return upstreamAnswerError(type, failure.detail, cause);
  const mapped = upstreamHttpError(type, {
    status: failure.status,
    message: failure.body?.message,
    providerCode: failure.body?.code,
    headers: failure.headers,
    cause,
  });
  if (mapped.code === "upstream_invalid_request") return mapped;
  return new GatewayError(mapped.code, `${type} answer failed: ${failure.detail}`, {
    retryable: mapped.retryable,
    retryAfter: mapped.retryAfter,
    credentialsRejected: mapped.credentialsRejected,
    cause,
  });
}

/** The service's account cannot pay: the target is unusable, the request is fine. */
function upstreamAccountRefused(type: string, message: string | undefined, cause: unknown): GatewayError {
  return new GatewayError("upstream_error", `${type} refused the service's account (HTTP 402): ${message ?? "billing error"}`, {
    upstreamStatus: 402,
    credentialsRejected: true,
    cause,
  });
}
