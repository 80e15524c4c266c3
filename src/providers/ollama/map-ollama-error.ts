/** Ollama's failures → our error codes, through the one shared HTTP-status mapping (`upstream-error.ts`). */
import { GatewayError, isGatewayError } from "../../core/errors";
import { readErrorText } from "../wire/bounded-body";
import { upstreamHttpError, upstreamThrownError } from "../upstream-error";
import type { UpstreamLimits } from "../upstream-limits";

const PROVIDER = "ollama";
const MAX_MESSAGE = 1000;

/** A non-2xx answer: Ollama's body is `{"error":"<text>"}`; a proxy's may be anything. */
export async function ollamaHttpError(response: Response, limits: UpstreamLimits): Promise<GatewayError> {
  const text = (await readErrorText(response, limits).catch(() => "")).trim();
  let message: string | undefined = text ? text.slice(0, MAX_MESSAGE) : undefined;
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === "string") message = body.error;
    else if (body.error && typeof body.error === "object" && typeof (body.error as { message?: unknown }).message === "string") {
      message = (body.error as { message: string }).message;
    }
  } catch {
    // Not JSON: the text itself is the best message there is.
  }
  return upstreamHttpError(PROVIDER, { status: response.status, message, headers: response.headers });
}

/**
 * A thrown failure. Before the answer (`phase: "connect"`) it is a connection failure; while
 * reading it is a broken stream. An aborted signal wins: it is our timeout or the client leaving.
 */
export function mapOllamaError(error: unknown, signal: AbortSignal, phase: "connect" | "read"): GatewayError {
  if (isGatewayError(error)) return error;
  if (signal.aborted) {
    const reason = signal.reason;
    return isGatewayError(reason) ? reason : new GatewayError("upstream_error", "request aborted", { cause: error });
  }
  return upstreamThrownError(PROVIDER, error, phase === "connect" ? "request" : "read");
}
