/**
 * Turns any adapter's events into the service's one chunk grammar (docs/api.md, "The stream grammar"):
 * each `*_start` closed by its `*_end` before another block opens; exactly one `usage`, then
 * exactly one `finish`, last; on a failure after the first chunk an `error`, `usage`, `finish`.
 * An open block is not closed by a failure: a tool call cut short never gets a `tool_call_end`,
 * so no client runs half a call.
 */
import type { AdapterEvent, ChunkEvent, FinishReason, Usage } from "./events";
import { GatewayError } from "./errors";
import { estimateTextTokens } from "../tokens/token-estimate";

interface ToolCallState {
  id: string;
  name: string;
  args: string;
  ended: boolean;
}

export type Emit = (chunk: ChunkEvent) => void;

export interface NormalizerResult {
  usage: Usage;
  usageSource: "provider" | "estimated";
  finishReason: FinishReason;
}

let idCounter = 0;
export function generateToolCallId(): string {
  idCounter = (idCounter + 1) % 0x7fffffff;
  return `call_${crypto.randomUUID().replace(/-/g, "").slice(0, 20)}${idCounter.toString(36)}`;
}

export class StreamNormalizer {
  private textOpen = false;
  private openTool: ToolCallState | null = null;
  private readonly tools = new Map<number, ToolCallState>();
  private readonly reported: Partial<Usage> = {};
  private providerFinish: FinishReason | null = null;
  /** Output pieces kept only to estimate output tokens when the provider reports none. */
  private readonly outputPieces: string[] = [];
  private done = false;
  /** Chunks emitted so far (a failure before the first one may still be routed elsewhere). */
  chunks = 0;
  toolCallCount = 0;

  constructor(
    private readonly emit: Emit,
    /** Counts input tokens locally, only called when the provider reports none. */
    private readonly estimateInput: () => number,
  ) {}

  push(event: AdapterEvent): void {
    switch (event.type) {
      case "text":
        if (event.text.length === 0) return;
        this.outputPieces.push(event.text);
        if (this.textOpen) {
          this.out({ type: "text_delta", content: event.text });
        } else {
          this.closeTool();
          this.textOpen = true;
          this.out({ type: "text_delta_start", content: event.text });
        }
        return;
      case "reasoning":
        if (event.text.length) this.outputPieces.push(event.text);
        return;
      case "tool_call":
        this.toolFragment(event.index, event.id, event.name, event.arguments);
        return;
      case "usage":
        for (const key of Object.keys(event.usage) as (keyof Usage)[]) {
          const v = event.usage[key];
          if (typeof v === "number" && Number.isFinite(v)) this.reported[key] = Math.max(0, Math.round(v));
        }
        return;
      case "finish":
        this.providerFinish = event.reason;
        return;
    }
  }

  private toolFragment(index: number, id: string | undefined, name: string | undefined, args: string | undefined): void {
    const known = this.tools.get(index);
    if (known) {
      // A fragment that adds nothing to a call already open is no event, from any provider (vLLM sends
      // one after the call opened; an empty delta is valid in every OpenAI-style stream).
      if (!args) return;
      if (known.ended) {
        throw new GatewayError("upstream_error", `upstream sent more arguments for tool call ${known.id} after it ended`);
      }
      known.args += args;
      this.outputPieces.push(args);
      this.out({ type: "tool_call_delta", id: known.id, arguments: args });
      return;
    }
    if (!name) throw new GatewayError("upstream_error", "upstream sent a tool call without a name");
    this.closeText();
    this.closeTool();
    const call: ToolCallState = { id: id || generateToolCallId(), name, args: "", ended: false };
    this.tools.set(index, call);
    this.openTool = call;
    this.toolCallCount++;
    this.outputPieces.push(name);
    this.out({ type: "tool_call_start", id: call.id, name: call.name });
    if (args) {
      call.args = args;
      this.outputPieces.push(args);
      this.out({ type: "tool_call_delta", id: call.id, arguments: args });
    }
  }

  private closeText(): void {
    if (!this.textOpen) return;
    this.textOpen = false;
    this.out({ type: "text_delta_end", content: "" });
  }

  private closeTool(): void {
    const call = this.openTool;
    if (!call) return;
    this.openTool = null;
    call.ended = true;
    if (call.args.trim() === "") call.args = "{}";
    this.out({ type: "tool_call_end", id: call.id, name: call.name, arguments: call.args });
  }

  private out(chunk: ChunkEvent): void {
    this.chunks++;
    this.emit(chunk);
  }

  /** The adapter's events ended. A stream with no finish reason was cut short: that is a failure. */
  end(): NormalizerResult {
    if (this.providerFinish === null) {
      throw new GatewayError("upstream_error", "upstream stream ended before a finish reason", { retryable: true });
    }
    this.closeText();
    this.closeTool();
    let reason = this.providerFinish;
    if (reason === "stop" && this.toolCallCount > 0) reason = "tool_calls";
    return this.finishWith(reason, true);
  }

  /** A failure after the first chunk: `error`, `usage`, `finish` with `error`. */
  fail(code: string, message: string): NormalizerResult {
    this.out({ type: "error", code, message });
    return this.finishWith("error", false);
  }

  /** The client went away: nothing more is emitted, the usage is still accounted. */
  cancel(): NormalizerResult {
    this.done = true;
    return this.result("error", false);
  }

  private finishWith(reason: FinishReason, complete: boolean): NormalizerResult {
    const result = this.result(reason, complete);
    const u = result.usage;
    const usageChunk: ChunkEvent = { type: "usage", inputTokens: u.inputTokens, outputTokens: u.outputTokens };
    if (u.reasoningTokens !== undefined) usageChunk.reasoningTokens = u.reasoningTokens;
    if (u.cachedInputTokens !== undefined) usageChunk.cachedInputTokens = u.cachedInputTokens;
    this.out(usageChunk);
    this.out({ type: "finish", finishReason: reason });
    this.done = true;
    return result;
  }

  private result(reason: FinishReason, complete: boolean): NormalizerResult {
    const r = this.reported;
    let source: "provider" | "estimated" = "provider";
    let input = r.inputTokens;
    let output = r.outputTokens;
    if (input === undefined) {
      input = this.estimateInput();
      source = "estimated";
    }
    if (output === undefined || !complete) {
      // A cut stream's reported output is stale; count what was actually produced.
      const counted = this.estimateOutput();
      if (output === undefined || counted > output) {
        output = counted;
        source = "estimated";
      }
    }
    const usage: Usage = { inputTokens: input, outputTokens: output };
    if (r.reasoningTokens !== undefined) usage.reasoningTokens = Math.min(r.reasoningTokens, output);
    if (r.cachedInputTokens !== undefined) usage.cachedInputTokens = Math.min(r.cachedInputTokens, input);
    return { usage, usageSource: source, finishReason: reason };
  }

  private estimateOutput(): number {
    return estimateTextTokens(this.outputPieces.join(""));
  }

  get finished(): boolean {
    return this.done;
  }
}
