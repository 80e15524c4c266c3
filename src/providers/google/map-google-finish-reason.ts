/**
 * Gemini `finishReason` → ours (docs/providers-google.md, Response). A call answer ends with `STOP`
 * like a text answer; the normalizer turns it into `tool_calls` when calls were made.
 */
import type { FinishReason } from "../../core/events";

export type GoogleFinish =
  | { reason: FinishReason }
  /** The answer failed: reported as an error, with Google's reason in the message. */
  | { failure: GoogleFinishFailure };

/**
 * `model`: the model produced something unusable, another try may succeed. `signature`: replayed
 * calls lacked their thought signatures, the request must change. `account`: Google restricted
 * the service's account; another target may serve.
 */
export type GoogleFinishFailure = "model" | "signature" | "account";

const CONTENT_FILTER = new Set([
  "SAFETY",
  "RECITATION",
  "LANGUAGE",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "IMAGE_SAFETY",
  "IMAGE_PROHIBITED_CONTENT",
  "IMAGE_RECITATION",
  "ESCALATION",
]);

const MODEL_FAILURE = new Set(["MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS", "MALFORMED_RESPONSE"]);

export function mapGoogleFinishReason(raw: string, producedOutput: boolean): GoogleFinish {
  if (raw === "STOP") return { reason: "stop" };
  // CONTINUATION: cut at the per-request limit; we never continue on the client's behalf.
  if (raw === "MAX_TOKENS" || raw === "CONTINUATION") return { reason: "length" };
  if (CONTENT_FILTER.has(raw)) return { reason: "content_filter" };
  if (MODEL_FAILURE.has(raw)) return { failure: "model" };
  if (raw === "MISSING_THOUGHT_SIGNATURE") return { failure: "signature" };
  if (raw === "PUP_LIMITED_DISABLED") return { failure: "account" };
  // OTHER, FINISH_REASON_UNSPECIFIED, NO_IMAGE, IMAGE_OTHER and values newer than this table.
  return producedOutput ? { reason: "stop" } : { failure: "model" };
}
