import type { FinishReason } from "../../core/events";

/**
 * OpenAI-family `finish_reason` → ours. `eos` reads as a stop and Mistral's `model_length` as a
 * length; `error` (Mistral) is a failure; an unknown reason ends the answer as a stop.
 */
export function mapOpenAIFinishReason(reason: string | null | undefined): FinishReason | null {
  switch (reason) {
    case null:
    case undefined:
    case "":
      return null;
    case "stop":
    case "eos":
      return "stop";
    case "length":
    case "model_length":
      return "length";
    case "tool_calls":
    case "function_call":
      return "tool_calls";
    case "content_filter":
      return "content_filter";
    case "error":
      return "error";
    default:
      return "stop";
  }
}
