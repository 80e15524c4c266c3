/** The Mistral SDK's failures as the shared classification reads them (`classify-failure.ts`). */
import {
  ConnectionError,
  MistralError,
  RequestAbortedError,
  RequestTimeoutError,
  SDKValidationError,
  UnexpectedClientError,
} from "@mistralai/mistralai/models/errors";
import type { ErrorBody, FailureDescription } from "../classify-failure";
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
export function readMistralErrorBody(body: string): ErrorBody {
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

function fromObject(value: unknown): ErrorBody {
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

export function describeMistralFailure(error: unknown): FailureDescription | undefined {
  if (error instanceof MistralError) {
    if (error.statusCode >= 200 && error.statusCode < 300) {
      // ResponseValidationError: a 200 whose body the SDK could not read.
      return { kind: "unreadable", what: `a body that is not a chat completion: ${error.message}`, status: error.statusCode };
    }
    const { message, code } = readMistralErrorBody(error.body);
    return { kind: "http", status: error.statusCode, body: { message: message ?? error.message, code }, headers: error.headers };
  }
  if (error instanceof RequestTimeoutError) return { kind: "timeout" };
  if (error instanceof RequestAbortedError) return { kind: "aborted" };
  // Bun's fetch failures (refused, reset, DNS) reach us as either, with the cause attached.
  if (error instanceof ConnectionError || error instanceof UnexpectedClientError)
    return { kind: "connection", cause: error.cause ?? error };
  // Our request did not pass the SDK's own schema: a gateway bug, not the client's.
  if (error instanceof SDKValidationError) return { kind: "not-built", message: error.message };
  if (isZodError(error)) {
    // A stream event that is not a chat completion chunk (e.g. an error object mid-stream).
    const issues = error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    return { kind: "malformed", message: `unreadable event in the stream (${issues})` };
  }
  return undefined;
}

interface ZodErrorLike extends Error {
  issues: { path: PropertyKey[]; message: string }[];
}

function isZodError(error: unknown): error is ZodErrorLike {
  return error instanceof Error && error.name === "ZodError" && Array.isArray((error as Partial<ZodErrorLike>).issues);
}
