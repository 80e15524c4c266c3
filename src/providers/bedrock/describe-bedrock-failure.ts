/**
 * Bedrock's failures as the shared classification reads them (`classify-failure.ts`). The AWS SDK
 * names each error after `x-amzn-ErrorType` (HTTP errors) or `:exception-type` (exception frames
 * inside a stream); the name decides, because Bedrock's statuses say less than its names
 * (ModelNotReadyException is a 429 that means "try another target"; ModelErrorException is a 424
 * that is the model's failure, not the request's). Unknown names fall back to the HTTP status,
 * then to a connection or stream error.
 */
import type { GatewayError } from "../../core/errors";
import type { FailureDescription, Phase } from "../classify-failure";

/** The status each error name is treated as (lower-cased: stream frames use camelCase). */
const STATUS_OF_ERROR_NAME: Record<string, number> = {
  throttlingexception: 429,
  servicequotaexceededexception: 429,
  toomanyrequestsexception: 429,
  serviceunavailableexception: 503,
  modelnotreadyexception: 503,
  internalserverexception: 500,
  modelerrorexception: 500,
  modelstreamerrorexception: 500,
  validationexception: 400,
  accessdeniedexception: 403,
  unrecognizedclientexception: 403,
  invalidsignatureexception: 403,
  incompletesignatureexception: 403,
  missingauthenticationtokenexception: 403,
  expiredtokenexception: 403,
  invalidclienttokenid: 403,
  modeltimeoutexception: 408,
  resourcenotfoundexception: 404,
};

interface AwsErrorLike {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number; headers?: Record<string, string> };
}

/** The SDK's message without its debugging hint; none when it only reports a body it could not parse. */
export function cleanBedrockMessage(message: unknown, httpError: boolean): string | undefined {
  if (typeof message !== "string" || message === "UnknownError") return undefined;
  const hint = message.indexOf("\n  Deserialization error");
  if (hint === -1) return message;
  return httpError ? undefined : message.slice(0, hint);
}

/** Ours, raised under the SDK (a bounded body); the SDK appends its debugging hint to what it reads. */
export function bedrockOwnError(raised: GatewayError): GatewayError {
  return raised.withMessage(cleanBedrockMessage(raised.message, false) ?? raised.message);
}

export function describeBedrockFailure(error: unknown, phase: Phase): FailureDescription | undefined {
  const e = (error ?? {}) as AwsErrorLike;
  const name = typeof e.name === "string" ? e.name : "";
  if (name === "AbortError") return { kind: "aborted" };
  // The SDK's HTTP handler names a reset or a broken pipe "TimeoutError" too; its code tells.
  if (name === "TimeoutError" && (e.code === undefined || e.code === "ETIMEDOUT")) return { kind: "timeout" };
  const httpStatus = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  const status = STATUS_OF_ERROR_NAME[name.toLowerCase()] ?? httpStatus;
  const httpError = httpStatus !== undefined && httpStatus >= 300;
  const message = cleanBedrockMessage(e.message, httpError);
  if (status !== undefined && status >= 400) {
    const body = { message, code: name };
    if (httpError) return { kind: "http", status, body, headers: e.$response?.headers };
    // An exception frame inside a 200 stream.
    return { kind: "in-band", detail: `${message ?? name} (${name})`, status, body, headers: e.$response?.headers };
  }
  if (phase === "request" && httpStatus === undefined) return { kind: "connection", cause: error };
  if (error instanceof SyntaxError) return { kind: "malformed", message: `malformed response: ${message}` };
  // node:http's word for a response whose socket closed before its end.
  if (message === "aborted") return { kind: "connection-lost" };
  return { kind: "answered" };
}
