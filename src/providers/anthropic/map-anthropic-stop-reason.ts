import type { FinishReason } from "../../core/events";

/**
 * Anthropic `stop_reason` → ours (docs/providers-anthropic.md, Response mapping). `answeredWithJsonTool`:
 * the forced JSON tool carried the answer, so `tool_use` is a normal stop. `pause_turn` (a server
 * tool loop hit its limit) leaves nothing for the client to run: `stop`. Unknown values are `stop`.
 */
export function mapAnthropicStopReason(reason: string | null | undefined, answeredWithJsonTool: boolean): FinishReason | null {
  switch (reason) {
    case null:
    case undefined:
    case "":
      return null;
    case "end_turn":
    case "stop_sequence":
    case "pause_turn":
      return "stop";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return answeredWithJsonTool ? "stop" : "tool_calls";
    case "refusal":
    case "guardrail_intervened":
    case "content_filtered":
      return "content_filter";
    default:
      return "stop";
  }
}
