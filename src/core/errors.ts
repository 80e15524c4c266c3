/** Errors with the status and code clients get (docs/api.md, "Errors"). */

export type ErrorCode =
  | "invalid_request"
  | "upstream_invalid_request"
  | "unauthorized"
  | "model_not_found"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "upstream_error"
  | "unavailable"
  | "upstream_timeout"
  | "not_found"
  | "internal_error";

const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  upstream_invalid_request: 400,
  unauthorized: 401,
  model_not_found: 404,
  not_found: 404,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  upstream_error: 502,
  unavailable: 503,
  upstream_timeout: 504,
  internal_error: 500,
};

const REASON: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

export interface FieldProblem {
  field: string;
  message: string;
}

export interface GatewayErrorOptions {
  details?: FieldProblem[];
  /** Seconds, passed on as `Retry-After`. */
  retryAfter?: number;
  /** More response headers (a rate limit's standing). */
  headers?: Record<string, string>;
  /** Whether routing may try again (same or next target). */
  retryable?: boolean;
  /** The upstream HTTP status, when there was one. */
  upstreamStatus?: number;
  /** Upstream refused our credentials: the target is unhealthy, not the request. */
  credentialsRejected?: boolean;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: FieldProblem[];
  readonly retryAfter?: number;
  readonly headers?: Record<string, string>;
  readonly retryable: boolean;
  readonly upstreamStatus?: number;
  readonly credentialsRejected: boolean;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "GatewayError";
    this.code = code;
    this.status = STATUS[code];
    this.details = options.details;
    this.retryAfter = options.retryAfter;
    this.headers = options.headers;
    this.retryable = options.retryable ?? false;
    this.upstreamStatus = options.upstreamStatus;
    this.credentialsRejected = options.credentialsRejected ?? false;
  }

  /** The same error with another message (e.g. with secrets taken out). */
  withMessage(message: string): GatewayError {
    if (message === this.message) return this;
    return new GatewayError(this.code, message, {
      details: this.details,
      retryAfter: this.retryAfter,
      retryable: this.retryable,
      upstreamStatus: this.upstreamStatus,
      credentialsRejected: this.credentialsRejected,
      cause: this.cause,
    });
  }

  body(requestId: string): Record<string, unknown> {
    const body: Record<string, unknown> = {
      statusCode: this.status,
      error: REASON[this.status] ?? "Error",
      code: this.code,
      message: this.message,
      requestId,
    };
    if (this.details) body.details = this.details;
    return body;
  }
}

export function isGatewayError(e: unknown): e is GatewayError {
  return e instanceof GatewayError;
}

/**
 * Any thrown value as a GatewayError. Adapters turn every upstream failure (HTTP, network, stream)
 * into a GatewayError themselves, so anything else is a failure of our own: a 500, not retried,
 * and no mark against the target's health.
 */
export function toGatewayError(e: unknown): GatewayError {
  if (e instanceof GatewayError) return e;
  return new GatewayError("internal_error", "the service failed to handle the request", { cause: e });
}

/** A failure of the service or of the client's request, not of the upstream: it says nothing about the target's health. */
export function isOwnFailure(e: GatewayError): boolean {
  return e.code === "internal_error" || e.code === "invalid_request" || e.code === "payload_too_large";
}
