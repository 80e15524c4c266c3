/**
 * `@google/genai`'s failures as the shared classification reads them (`classify-failure.ts`).
 *
 * The SDK's `ApiError` keeps only the status and a message holding Google's error body as JSON
 * (after `got status: …. ` for an error object inside a 200 stream), so the body is parsed back
 * out of it: `{"error":{"code","message","status","details"}}`.
 */
import { ApiError } from "@google/genai";
import type { ErrorBody, FailureDescription, Phase } from "../classify-failure";
import { clipMessage } from "../upstream-error";
import type { GoogleAnswerTranslator } from "./google-response-to-events";

interface GoogleErrorJson {
  code?: number;
  message?: string;
  status?: string;
  details?: { "@type"?: string; reason?: string; retryDelay?: string }[];
}

export interface GoogleErrorBody extends ErrorBody {
  /** `RetryInfo.retryDelay` in seconds, Google's way of saying when to come back. */
  retryDelay?: number;
}

/** Google's error body, found in `text`: its message, its `status` string as the code, what it says of our key. */
export function readGoogleErrorBody(text: string): GoogleErrorBody {
  const body = parseErrorJson(text);
  if (!body) return {};
  return { message: body.message, code: body.status, credentialsRejected: isKeyRejection(body), retryDelay: retryDelaySeconds(body) };
}

function parseErrorJson(text: string): GoogleErrorJson | undefined {
  const at = text.indexOf("{");
  if (at < 0) return undefined;
  try {
    const error = (JSON.parse(text.slice(at)) as { error?: unknown }).error;
    return error && typeof error === "object" ? (error as GoogleErrorJson) : undefined;
  } catch {
    return undefined;
  }
}

/** `RetryInfo.retryDelay` ("34.4s"). */
function retryDelaySeconds(body: GoogleErrorJson): number | undefined {
  for (const d of body.details ?? []) {
    if (typeof d?.retryDelay !== "string") continue;
    const match = /^(\d+(?:\.\d+)?)s$/.exec(d.retryDelay.trim());
    if (match) return Number(match[1]);
  }
  return undefined;
}

/** A bad or expired key is a 400 `INVALID_ARGUMENT` at Google: our credentials, not the client's request. */
function isKeyRejection(body: GoogleErrorJson): boolean {
  if (body.details?.some((d) => typeof d?.reason === "string" && d.reason.startsWith("API_KEY_"))) return true;
  return typeof body.message === "string" && /\bAPI key (not valid|expired)/i.test(body.message);
}

const MALFORMED_CHUNK = "exception parsing stream chunk ";

export function describeGoogleFailure(error: unknown, phase: Phase, translator: GoogleAnswerTranslator): FailureDescription | undefined {
  if (error instanceof ApiError) {
    const body = readGoogleErrorBody(error.message);
    const message = clipMessage(body.message ?? error.message);
    // After part of the answer an error object in the stream is the answer's failure.
    if (translator.responses.produced) return { kind: "in-band", detail: body.code ? `${message} (${body.code})` : message };
    // Before any output it is a refusal of the request, like an HTTP error.
    return {
      kind: "http",
      status: error.status,
      body: { message, code: body.code, credentialsRejected: body.credentialsRejected },
      headers: body.retryDelay === undefined ? undefined : { "retry-after": String(body.retryDelay) },
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  if (message.startsWith(MALFORMED_CHUNK))
    return { kind: "malformed", message: `malformed chunk: ${message.slice(MALFORMED_CHUNK.length)}` };
  if (message === "Incomplete JSON segment at the end") return { kind: "malformed", message: "the stream ended in the middle of an event" };
  if (error instanceof SyntaxError) {
    // The SDK parses each event (and a JSON answer) only when it hands it over.
    return phase === "read"
      ? { kind: "malformed", message: `malformed chunk: ${message}` }
      : { kind: "unreadable", what: `malformed JSON: ${message}` };
  }
  return undefined;
}
