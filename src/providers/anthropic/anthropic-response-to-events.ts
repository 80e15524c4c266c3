/**
 * Anthropic Messages responses → our adapter events, for `anthropic` (SSE events through the SDK)
 * and `anthropic_bedrock` (the same events, decoded from event-stream frames).
 *
 * Quirks handled (docs/providers-anthropic.md, Response mapping): content-block indexes shared by
 * text, thinking and tool blocks (tool calls are renumbered 0, 1, …); the empty first
 * `input_json_delta`; `ping` and unknown events anywhere; usage split over `message_start`
 * (input, cache) and `message_delta` (output, possibly a restated input that wins); `input_tokens`
 * that excludes cache reads and writes; Bedrock's `amazon-bedrock-invocationMetrics` as a usage
 * fallback; the forced JSON tool, whose input is streamed as answer text.
 */
import { GatewayError } from "../../core/errors";
import type { AdapterEvent, Usage } from "../../core/events";
import { pushAll, type ResponseTranslator } from "../provider-runner";
import { anthropicStreamError } from "./describe-anthropic-failure";
import { mapAnthropicStopReason } from "./map-anthropic-stop-reason";

/** The usage fields we read, loosely typed: Bedrock and proxies differ from the SDK's types. */
export interface AnthropicUsageLike {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

interface ContentBlockLike {
  type?: string;
  text?: string;
  thinking?: string;
  id?: string;
  name?: string;
  input?: unknown;
}

export interface AnthropicStreamEventLike {
  type?: string;
  index?: number;
  message?: { usage?: AnthropicUsageLike | null } | null;
  content_block?: ContentBlockLike | null;
  delta?: { type?: string; text?: string; thinking?: string; partial_json?: string; stop_reason?: string | null } | null;
  usage?: AnthropicUsageLike | null;
  error?: unknown;
  "amazon-bedrock-invocationMetrics"?: { inputTokenCount?: number; outputTokenCount?: number } | null;
}

export interface AnthropicMessageLike {
  content?: ContentBlockLike[] | null;
  stop_reason?: string | null;
  usage?: AnthropicUsageLike | null;
}

const enum BlockKind {
  Text,
  Thinking,
  Tool,
  JsonAnswer,
  Ignored,
}

interface BlockState {
  kind: BlockKind;
  toolIndex: number;
  sawInput: boolean;
  startInput: unknown;
}

const num = (v: number | null | undefined): v is number => typeof v === "number" && Number.isFinite(v);

/** Running token counts: Anthropic reports input and cache counts separately, we report their sum. */
class UsageState {
  input?: number;
  cacheCreation?: number;
  cacheRead?: number;
  output?: number;
  thinking?: number;

  /** Applies what `u` reports; `withOutput` false for `message_start`, whose output is a placeholder. */
  apply(u: AnthropicUsageLike, withOutput: boolean): Partial<Usage> | null {
    let changed = false;
    if (num(u.input_tokens)) (this.input = u.input_tokens), (changed = true);
    if (num(u.cache_creation_input_tokens)) (this.cacheCreation = u.cache_creation_input_tokens), (changed = true);
    if (num(u.cache_read_input_tokens)) (this.cacheRead = u.cache_read_input_tokens), (changed = true);
    if (withOutput) {
      if (num(u.output_tokens)) (this.output = u.output_tokens), (changed = true);
      const thinking = u.output_tokens_details?.thinking_tokens;
      if (num(thinking)) (this.thinking = thinking), (changed = true);
    }
    return changed ? this.current() : null;
  }

  current(): Partial<Usage> {
    const usage: Partial<Usage> = {};
    if (this.input !== undefined || this.cacheCreation !== undefined || this.cacheRead !== undefined) {
      usage.inputTokens = (this.input ?? 0) + (this.cacheCreation ?? 0) + (this.cacheRead ?? 0);
    }
    if (this.cacheRead !== undefined) usage.cachedInputTokens = this.cacheRead;
    if (this.output !== undefined) usage.outputTokens = this.output;
    if (this.thinking !== undefined) usage.reasoningTokens = this.thinking;
    return usage;
  }
}

function inputAsJson(input: unknown): string {
  return input && typeof input === "object" && Object.keys(input).length > 0 ? JSON.stringify(input) : "";
}

/** Per-request translation state for one stream. */
export class AnthropicStreamTranslator {
  /** Reused for every event: the adapter yields its contents before the next call. */
  private readonly events: AdapterEvent[] = [];
  private readonly blocks: (BlockState | undefined)[] = [];
  private readonly usage = new UsageState();
  private toolCalls = 0;
  private answeredWithJsonTool = false;

  constructor(
    private readonly providerType: string,
    /** The forced tool carrying a JSON answer, if the request asked for one. */
    private readonly jsonToolName: string | null,
  ) {}

  translate(event: AnthropicStreamEventLike): AdapterEvent[] {
    const out = this.events;
    out.length = 0;
    switch (event.type) {
      case "content_block_delta": {
        const block = this.blocks[event.index ?? -1];
        const delta = event.delta;
        if (!block || !delta) break;
        switch (delta.type) {
          case "text_delta":
            if (block.kind === BlockKind.Text && delta.text) out.push({ type: "text", text: delta.text });
            break;
          case "thinking_delta":
            if (block.kind === BlockKind.Thinking && delta.thinking) out.push({ type: "reasoning", text: delta.thinking });
            break;
          case "input_json_delta": {
            const piece = delta.partial_json;
            if (!piece) break; // the first piece is often ""
            block.sawInput = true;
            if (block.kind === BlockKind.Tool) out.push({ type: "tool_call", index: block.toolIndex, arguments: piece });
            else if (block.kind === BlockKind.JsonAnswer) out.push({ type: "text", text: piece });
            break;
          }
          // signature_delta, citations_delta and future kinds carry nothing for the client.
        }
        break;
      }
      case "content_block_start":
        this.startBlock(event.index ?? this.blocks.length, event.content_block ?? {}, out);
        break;
      case "content_block_stop": {
        const block = this.blocks[event.index ?? -1];
        // A proxy may give the whole input at the start and no deltas.
        if (block && !block.sawInput) {
          const whole = inputAsJson(block.startInput);
          if (block.kind === BlockKind.Tool && whole) out.push({ type: "tool_call", index: block.toolIndex, arguments: whole });
          else if (block.kind === BlockKind.JsonAnswer) out.push({ type: "text", text: whole || "{}" });
        }
        break;
      }
      case "message_start": {
        const usage = event.message?.usage;
        const reported = usage ? this.usage.apply(usage, false) : null;
        if (reported) out.push({ type: "usage", usage: reported });
        break;
      }
      case "message_delta": {
        const reported = event.usage ? this.usage.apply(event.usage, true) : null;
        if (reported) out.push({ type: "usage", usage: reported });
        const finish = mapAnthropicStopReason(event.delta?.stop_reason, this.answeredWithJsonTool && this.toolCalls === 0);
        if (finish) out.push({ type: "finish", reason: finish });
        break;
      }
      case "message_stop": {
        const metrics = event["amazon-bedrock-invocationMetrics"];
        if (metrics) {
          // Bedrock's count, only where the Anthropic events gave none.
          const fallback: Partial<Usage> = {};
          if (this.usage.input === undefined && num(metrics.inputTokenCount)) fallback.inputTokens = metrics.inputTokenCount;
          if (this.usage.output === undefined && num(metrics.outputTokenCount)) fallback.outputTokens = metrics.outputTokenCount;
          if (fallback.inputTokens !== undefined || fallback.outputTokens !== undefined) out.push({ type: "usage", usage: fallback });
        }
        break;
      }
      case "error":
        throw anthropicStreamError(this.providerType, event);
      // ping and event types added later: nothing to do.
    }
    return out;
  }

  private startBlock(index: number, block: ContentBlockLike, out: AdapterEvent[]): void {
    const state: BlockState = { kind: BlockKind.Ignored, toolIndex: -1, sawInput: false, startInput: undefined };
    this.blocks[index] = state;
    switch (block.type) {
      case "text":
        // With a JSON answer, text beside the tool call would corrupt the JSON text.
        if (this.jsonToolName !== null) return;
        state.kind = BlockKind.Text;
        if (block.text) out.push({ type: "text", text: block.text });
        return;
      case "thinking":
        state.kind = BlockKind.Thinking;
        if (block.thinking) out.push({ type: "reasoning", text: block.thinking });
        return;
      case "tool_use":
        state.startInput = block.input;
        if (block.name === this.jsonToolName) {
          state.kind = BlockKind.JsonAnswer;
          this.answeredWithJsonTool = true;
          return;
        }
        state.kind = BlockKind.Tool;
        state.toolIndex = this.toolCalls++;
        out.push({ type: "tool_call", index: state.toolIndex, id: block.id, name: block.name });
        return;
      // redacted_thinking, server tool blocks: nothing for the client.
    }
  }
}

/**
 * A whole (non-streamed) Messages response as events. One with neither content nor a
 * `stop_reason` is not an answer (a proxy's empty object, a cut body): a retryable 502, not an
 * empty 200. Empty content with a stop reason is a real, if empty, answer.
 */
export function anthropicMessageToEvents(message: AnthropicMessageLike, jsonToolName: string | null, providerType: string): AdapterEvent[] {
  if (!message?.content?.length && !message?.stop_reason) {
    const content = message?.content ? "empty content" : "no content";
    throw new GatewayError("upstream_error", `${providerType} answered with ${content} and no stop_reason: not a Messages response`, {
      retryable: true,
    });
  }
  const out: AdapterEvent[] = [];
  let toolCalls = 0;
  let answeredWithJsonTool = false;
  for (const block of message.content ?? []) {
    switch (block.type) {
      case "text":
        if (jsonToolName === null && block.text) out.push({ type: "text", text: block.text });
        break;
      case "thinking":
        if (block.thinking) out.push({ type: "reasoning", text: block.thinking });
        break;
      case "tool_use":
        if (block.name === jsonToolName) {
          answeredWithJsonTool = true;
          out.push({ type: "text", text: JSON.stringify(block.input ?? {}) });
        } else {
          out.push({ type: "tool_call", index: toolCalls++, id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) });
        }
        break;
    }
  }
  if (message.usage) {
    const usage = new UsageState().apply(message.usage, true);
    if (usage) out.push({ type: "usage", usage });
  }
  out.push({ type: "finish", reason: mapAnthropicStopReason(message.stop_reason, answeredWithJsonTool && toolCalls === 0) ?? "stop" });
  return out;
}

/** One request's answer, whole or streamed, for the runner (`anthropic` and `anthropic_bedrock`). */
export class AnthropicResponseTranslator implements ResponseTranslator<AnthropicMessageLike, AnthropicStreamEventLike> {
  private readonly stream: AnthropicStreamTranslator;

  constructor(
    private readonly providerType: string,
    private readonly jsonToolName: string | null,
  ) {
    this.stream = new AnthropicStreamTranslator(providerType, jsonToolName);
  }

  answer(message: AnthropicMessageLike, out: AdapterEvent[]): void {
    pushAll(out, anthropicMessageToEvents(message, this.jsonToolName, this.providerType));
  }

  frame(event: AnthropicStreamEventLike, out: AdapterEvent[]): void {
    pushAll(out, this.stream.translate(event));
  }
}
