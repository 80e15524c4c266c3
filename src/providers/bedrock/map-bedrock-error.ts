/**
 * Bedrock's errors → ours. The AWS SDK names each error after `x-amzn-ErrorType` (HTTP errors)
 * or `:exception-type` (exception frames inside a stream); the name decides, because Bedrock's
 * statuses say less than its names (ModelNotReadyException is a 429 that means "try another
 * target"; ModelErrorException is a 424 that is the model's failure, not the request's). Unknown
 * names fall back to the HTTP status, then to a connection or stream error.
 */
import { GatewayError } from "../../core/errors";
import {
  gatewayErrorIn,
  upstreamConnectionError,
  upstreamConnectionLost,
  upstreamHttpError,
  upstreamAnswerError,
  upstreamThrownError,
} from "../upstream-error";

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

/** Stage at which the error arrived: before any response, or once one had started. */
export type BedrockErrorStage = "request" | "stream";

/** The SDK's message without its debugging hint; none when it only reports a body it could not parse. */
function cleanMessage(message: unknown, httpError: boolean): string | undefined {
  if (typeof message !== "string" || message === "UnknownError") return undefined;
  const hint = message.indexOf("\n  Deserialization error");
  if (hint === -1) return message;
  return httpError ? undefined : message.slice(0, hint);
}

export function mapBedrockError(providerType: string, error: unknown, stage: BedrockErrorStage): GatewayError {
  const raised = gatewayErrorIn(error);
  // Ours, raised under the SDK (a bounded body); the SDK appends its debugging hint to what it reads.
  if (raised) return raised.withMessage(cleanMessage(raised.message, false) ?? raised.message);
  const e = (error ?? {}) as AwsErrorLike;
  const name = typeof e.name === "string" ? e.name : "";
  if (name === "AbortError") return new GatewayError("upstream_error", "request aborted", { cause: error });
  // The SDK's HTTP handler names a reset or a broken pipe "TimeoutError" too; its code tells.
  if (name === "TimeoutError" && (e.code === undefined || e.code === "ETIMEDOUT")) {
    return new GatewayError("upstream_timeout", `${providerType} timed out`, { retryable: true, cause: error });
  }
  const httpStatus = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  const status = STATUS_OF_ERROR_NAME[name.toLowerCase()] ?? httpStatus;
  const httpError = httpStatus !== undefined && httpStatus >= 300;
  const message = cleanMessage(e.message, httpError);
  if (status !== undefined && status >= 400) {
    const mapped = upstreamHttpError(providerType, { status, message, providerCode: name, headers: e.$response?.headers, cause: error });
    if (httpError || mapped.code === "upstream_invalid_request") return mapped;
    // An exception frame inside a 200 stream: same class of error, but no HTTP status to cite.
    return new GatewayError(mapped.code, `${providerType} answer failed: ${message ?? name} (${name})`, {
      retryable: mapped.retryable,
      retryAfter: mapped.retryAfter,
      credentialsRejected: mapped.credentialsRejected,
      cause: error,
    });
  }
  const responded = stage === "stream" || httpStatus !== undefined;
  if (!responded) return upstreamConnectionError(providerType, error);
  if (error instanceof SyntaxError) return upstreamAnswerError(providerType, `malformed response: ${message}`, error);
  // node:http's word for a response whose socket closed before its end.
  if (message === "aborted") return upstreamConnectionLost(providerType, error);
  return upstreamThrownError(providerType, error, "read");
}
