/**
 * Our chunk events as OpenAI `chat.completion.chunk` SSE frames, the way the `openai` SDK
 * accumulates them: the role first, text as `delta.content`, each tool call under its own
 * `index` (id, type and name on its first fragment, then argument pieces), the finish reason in
 * a chunk of its own, usage in a last chunk with empty `choices` when asked for, then `[DONE]`.
 * A failure after the first byte is OpenAI's in-stream error: `data: {"error": {...}}`.
 */
import type { ChunkEvent, Usage } from "../../core/events";
import type { WireEncoder } from "../chunk-stream";
import { sseFrame } from "../front-door";
import { openAIErrorBody } from "./openai-error";
import { openAIFinishReason, openAIUsage } from "./completion-to-openai-chat";

export class OpenAIChatChunks implements WireEncoder {
  private started = false;
  private ended = false;
  private usage: Usage | null = null;
  private readonly toolIndex = new Map<string, number>();
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(
    private readonly id: string,
    private readonly model: string,
    private readonly includeUsage: boolean,
  ) {}

  encode(events: ChunkEvent[]): string {
    let out = "";
    if (!this.started) {
      this.started = true;
      out += this.chunk({ role: "assistant", content: "" });
    }
    for (const event of events) {
      if (this.ended) break;
      switch (event.type) {
        case "text_delta_start":
        case "text_delta":
          out += this.chunk({ content: event.content });
          break;
        case "tool_call_start": {
          const index = this.toolIndex.size;
          this.toolIndex.set(event.id, index);
          out += this.chunk({ tool_calls: [{ index, id: event.id, type: "function", function: { name: event.name, arguments: "" } }] });
          break;
        }
        case "tool_call_delta":
          out += this.chunk({ tool_calls: [{ index: this.toolIndex.get(event.id) ?? 0, function: { arguments: event.arguments } }] });
          break;
        case "usage": {
          const { type: _type, ...usage } = event;
          this.usage = usage;
          break;
        }
        case "finish":
          out += this.chunk({}, openAIFinishReason(event.finishReason));
          if (this.includeUsage && this.usage) out += sseFrame(this.envelope([], openAIUsage(this.usage)));
          out += sseFrame("[DONE]");
          this.ended = true;
          break;
        case "error":
          out += sseFrame(openAIErrorBody(event.code, event.message));
          this.ended = true;
          break;
        // text_delta_end, tool_call_end: nothing to say on this wire
      }
    }
    return out;
  }

  private chunk(delta: Record<string, unknown>, finishReason: string | null = null): string {
    return sseFrame(this.envelope([{ index: 0, delta, logprobs: null, finish_reason: finishReason }]));
  }

  private envelope(choices: unknown[], usage?: unknown): Record<string, unknown> {
    const chunk: Record<string, unknown> = {
      id: this.id,
      object: "chat.completion.chunk",
      created: this.created,
      model: this.model,
      choices,
    };
    if (usage !== undefined) chunk.usage = usage;
    else if (this.includeUsage) chunk.usage = null;
    return chunk;
  }
}
