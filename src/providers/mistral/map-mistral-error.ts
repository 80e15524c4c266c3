/** The Mistral SDK's errors → our error codes, through the one shared HTTP-status mapping (`upstream-error.ts`). */
import {
  ConnectionError,
  MistralError,
  RequestAbortedError,
  RequestTimeoutError,
  SDKValidationError,
  UnexpectedClientError,
} from "@mistralai/mistralai/models/errors";
import { GatewayError, isGatewayError } from "../../core/errors";
import { gatewayErrorIn, upstreamConnectionError, upstreamHttpError, upstreamAnswerError, upstreamThrownError } from "../upstream-error";

const PROVIDER = "mistral";
const MAX_MESSAGE = 1000;

interface ValidationIssue {
  loc?: unknown[];
  msg?: unknown;
}

/** `[{loc:["body","messages",0,"content"], msg:"Field required"}]` → `messages.0.content: Field required`. */
function validationDetail(detail: unknown): string {
  if (typeof detail === "string") return detail;
  if (!Array.isArray(detail)) return JSON.stringify(detail);
  return detail
    .map((d: ValidationIssue) => {
      const loc = Array.isArray(d?.loc) ? d.loc.filter((p) => p !== "body").join(".") : "";
      const msg = typeof d?.msg === "string" ? d.msg : JSON.stringify(d);
      return loc ? `${loc}: ${msg}` : msg;
    })
    .join("; ");
}

/**
 * The message and code of any of Mistral's error bodies: flat
 * `{"object":"error","message","type","param","code":"3280"}` (message sometimes an object
 * holding `detail`), validation `{"detail":[…]}` or `{"detail":"…"}`, `{"message":"Unauthorized"}`,
 * and proxies' `{"error":…}`. A body that is not JSON is passed on as text.
 */
export function mistralErrorBody(body: string): { message?: string; code?: string } {
  const text = body.trim();
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { message: text.slice(0, MAX_MESSAGE) };
  }
  return fromObject(parsed);
}

function fromObject(value: unknown): { message?: string; code?: string } {
  if (typeof value === "string") return { message: value };
  if (!value || typeof value !== "object") return {};
  const b = value as Record<string, unknown>;
  if (b.error !== undefined && b.message === undefined) return fromObject(b.error);
  let message: string | undefined;
  if (typeof b.message === "string") message = b.message;
  else if (b.message && typeof b.message === "object") {
    const inner = b.message as Record<string, unknown>;
    message = inner.detail !== undefined ? validationDetail(inner.detail) : JSON.stringify(inner);
  } else if (b.detail !== undefined) message = validationDetail(b.detail);
  const code = typeof b.type === "string" ? b.type : typeof b.code === "string" ? b.code : undefined;
  return { message: message?.slice(0, MAX_MESSAGE), code };
}

/** `phase`: `request` until the SDK call returned (a JSON answer is read inside it), `read` while a stream is read. */
export function mapMistralError(error: unknown, signal: AbortSignal, phase: "request" | "read"): GatewayError {
  const raised = gatewayErrorIn(error);
  if (raised) return raised;
  if (signal.aborted) {
    // Our timeout or the client leaving; the reason says which.
    const reason = signal.reason;
    return isGatewayError(reason) ? reason : new GatewayError("upstream_error", "request aborted", { cause: error });
  }
  if (error instanceof MistralError) {
    if (error.statusCode >= 200 && error.statusCode < 300) {
      // ResponseValidationError: a 200 whose body the SDK could not read.
      return new GatewayError("upstream_error", `${PROVIDER} answered with a body that is not a chat completion: ${error.message}`, {
        retryable: true,
        upstreamStatus: error.statusCode,
        cause: error,
      });
    }
    const { message, code } = mistralErrorBody(error.body);
    return upstreamHttpError(PROVIDER, {
      status: error.statusCode,
      message: message ?? error.message,
      providerCode: code,
      headers: error.headers,
      cause: error,
    });
  }
  if (error instanceof RequestTimeoutError) {
    return new GatewayError("upstream_timeout", `${PROVIDER} timed out`, { retryable: true, cause: error });
  }
  if (error instanceof RequestAbortedError) return new GatewayError("upstream_error", "request aborted", { cause: error });
  if (error instanceof ConnectionError || error instanceof UnexpectedClientError) {
    // Bun's fetch failures (refused, reset, DNS) reach us as either, with the cause attached.
    return upstreamConnectionError(PROVIDER, error.cause ?? error);
  }
  if (error instanceof SDKValidationError) {
    // Our request did not pass the SDK's own schema: a gateway bug, not the client's.
    return new GatewayError("internal_error", `could not build the ${PROVIDER} request: ${error.message}`, { cause: error });
  }
  if (isZodError(error)) {
    // A stream event that is not a chat completion chunk (e.g. an error object mid-stream).
    const issues = error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    return upstreamAnswerError(PROVIDER, `unreadable event in the stream (${issues})`, error);
  }
  return upstreamThrownError(PROVIDER, error, phase);
}

interface ZodErrorLike extends Error {
  issues: { path: PropertyKey[]; message: string }[];
}

function isZodError(error: unknown): error is ZodErrorLike {
  return error instanceof Error && error.name === "ZodError" && Array.isArray((error as Partial<ZodErrorLike>).issues);
}
