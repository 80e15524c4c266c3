/**
 * Our chunk events as the Messages API's SSE sequence, the way `@anthropic-ai/sdk` builds its
 * message from it: `message_start`, a `ping`, each text or tool call as one content block
 * (`content_block_start`, `text_delta` / `input_json_delta` pieces, `content_block_stop`), then
 * `message_delta` with the stop reason and usage, and `message_stop`. Usage is only known at the
 * end: `message_start` carries zeros and `message_delta` the whole counts, which the SDK takes.
 * A failure after the first byte is `event: error`.
 */
import type { ChunkEvent, Usage } from "../../core/events";
import type { WireEncoder } from "../chunk-stream";
import { sseFrame } from "../front-door";
import { anthropicErrorBody } from "./anthropic-error";
import { anthropicStopReason, anthropicUsage } from "./completion-to-anthropic-message";

export class AnthropicMessageEvents implements WireEncoder {
  private started = false;
  private ended = false;
  private blocks = 0;
  private usage: Usage = { inputTokens: 0, outputTokens: 0 };

  constructor(
    private readonly id: string,
    private readonly model: string,
    private readonly requestId: string,
  ) {}

  encode(events: ChunkEvent[]): string {
    let out = "";
    if (!this.started) {
      this.started = true;
      out += event("message_start", {
        type: "message_start",
        message: {
          id: this.id,
          type: "message",
          role: "assistant",
          model: this.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
        },
      });
      out += event("ping", { type: "ping" });
    }
    for (const chunk of events) {
      if (this.ended) break;
      switch (chunk.type) {
        case "text_delta_start":
          out += event("content_block_start", {
            type: "content_block_start",
            index: this.blocks,
            content_block: { type: "text", text: "" },
          });
          out += this.delta({ type: "text_delta", text: chunk.content });
          break;
        case "text_delta":
          out += this.delta({ type: "text_delta", text: chunk.content });
          break;
        case "tool_call_start":
          out += event("content_block_start", {
            type: "content_block_start",
            index: this.blocks,
            content_block: { type: "tool_use", id: chunk.id, name: chunk.name, input: {} },
          });
          break;
        case "tool_call_delta":
          out += this.delta({ type: "input_json_delta", partial_json: chunk.arguments });
          break;
        case "text_delta_end":
        case "tool_call_end":
          out += event("content_block_stop", { type: "content_block_stop", index: this.blocks });
          this.blocks++;
          break;
        case "usage": {
          const { type: _type, ...usage } = chunk;
          this.usage = usage;
          break;
        }
        case "finish":
          out += event("message_delta", {
            type: "message_delta",
            delta: { stop_reason: anthropicStopReason(chunk.finishReason), stop_sequence: null },
            usage: anthropicUsage(this.usage),
          });
          out += event("message_stop", { type: "message_stop" });
          this.ended = true;
          break;
        case "error":
          out += event("error", anthropicErrorBody(chunk.code, chunk.message, this.requestId));
          this.ended = true;
          break;
      }
    }
    return out;
  }

  private delta(delta: Record<string, unknown>): string {
    return event("content_block_delta", { type: "content_block_delta", index: this.blocks, delta });
  }
}

function event(name: string, data: unknown): string {
  return sseFrame(data, name);
}
