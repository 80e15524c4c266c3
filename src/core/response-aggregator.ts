/** Folds the chunk events of one completion into the JSON answer (docs/api.md, "JSON answer"). */
import type { ChunkEvent, FinishReason, Usage } from "./events";

export interface ToolCallOutput {
  type: "tool_call";
  id: string;
  name: string;
  arguments: string;
}

export interface CompletionResponse {
  id: string;
  outputText: string;
  output: ToolCallOutput[];
  usage: Usage;
  model: string;
  finishReason: FinishReason;
}

export class ResponseAggregator {
  private readonly text: string[] = [];
  readonly output: ToolCallOutput[] = [];
  usage: Usage = { inputTokens: 0, outputTokens: 0 };
  finishReason: FinishReason = "error";

  readonly accept = (chunk: ChunkEvent): void => {
    switch (chunk.type) {
      case "text_delta_start":
      case "text_delta":
        this.text.push(chunk.content);
        return;
      case "tool_call_end":
        this.output.push({ type: "tool_call", id: chunk.id, name: chunk.name, arguments: chunk.arguments });
        return;
      case "usage": {
        const { type: _t, ...usage } = chunk;
        this.usage = usage;
        return;
      }
      case "finish":
        this.finishReason = chunk.finishReason;
        return;
    }
  };

  response(id: string, model: string): CompletionResponse {
    return {
      id,
      outputText: this.text.join(""),
      output: this.output,
      usage: this.usage,
      model,
      finishReason: this.finishReason,
    };
  }
}
