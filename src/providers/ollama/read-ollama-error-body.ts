/** Ollama's failures: only its error body is its own; the rest is the shared classification's (`classify-failure.ts`). */
import type { GatewayError } from "../../core/errors";
import { describedFailure, type ErrorBody } from "../classify-failure";
import { readErrorText } from "../wire/bounded-body";
import type { UpstreamLimits } from "../upstream-limits";

const MAX_MESSAGE = 1000;

/** Ollama's body is `{"error":"<text>"}`; a proxy's may be anything, and text is the best message there is. */
export function readOllamaErrorBody(text: string): ErrorBody {
  const trimmed = text.trim();
  let message: string | undefined = trimmed ? trimmed.slice(0, MAX_MESSAGE) : undefined;
  try {
    const body = JSON.parse(trimmed) as { error?: unknown };
    if (typeof body.error === "string") message = body.error;
    else if (body.error && typeof body.error === "object" && typeof (body.error as { message?: unknown }).message === "string") {
      message = (body.error as { message: string }).message;
    }
  } catch {
    // Not JSON: the text itself.
  }
  return { message };
}

/** A non-2xx answer, its body read within the limits (`fetch` leaves that to us). */
export async function ollamaHttpError(response: Response, limits: UpstreamLimits): Promise<GatewayError> {
  const text = await readErrorText(response, limits).catch(() => "");
  return describedFailure(
    "ollama",
    { kind: "http", status: response.status, body: readOllamaErrorBody(text), headers: response.headers },
    undefined,
  );
}
