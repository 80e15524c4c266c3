/**
 * Our messages → Anthropic Messages API `system` + `messages` (docs/providers-anthropic.md, Request mapping).
 *
 * System and developer prompts are lifted to the top-level `system`; tool results go into the
 * next user turn; turns of the same role are merged, because Anthropic wants strictly
 * alternating roles and all results of one assistant turn in one user turn. Tool-call arguments
 * in history are JSON text on our side and an object on Anthropic's: invalid JSON is the
 * client's error, named precisely, rather than an opaque upstream 400.
 */
import { invalid } from "../invalid-field";
import type { ContentPart, Message } from "../../core/request";

export type AnthropicImageSource = { type: "base64"; media_type: string; data: string } | { type: "url"; url: string };

export type AnthropicContentBlock =
  | { type: "text"; text: string }
  | { type: "image"; source: AnthropicImageSource }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> }
  | { type: "tool_result"; tool_use_id: string; content?: string };

export interface AnthropicMessage {
  role: "user" | "assistant";
  content: AnthropicContentBlock[];
}

export interface AnthropicPrompt {
  system?: string;
  messages: AnthropicMessage[];
}

const DATA_URL = /^data:([^;,]+)((?:;[^;,]*)*),/;

function imageBlock(url: string, field: string): AnthropicContentBlock {
  if (url.startsWith("https:")) return { type: "image", source: { type: "url", url } };
  const match = DATA_URL.exec(url);
  if (!match || !match[2]!.split(";").includes("base64")) {
    throw invalid(field, "an image data URL must be base64-encoded (data:<media type>;base64,<data>)");
  }
  const data = url.slice(match[0].length);
  if (data.length === 0) throw invalid(field, "the image data URL holds no data");
  return { type: "image", source: { type: "base64", media_type: match[1]!.toLowerCase(), data } };
}

function userBlocks(content: string | ContentPart[], index: number, out: AnthropicContentBlock[]): void {
  if (typeof content === "string") {
    if (content.length) out.push({ type: "text", text: content });
    return;
  }
  for (let j = 0; j < content.length; j++) {
    const part = content[j]!;
    if (part.type === "text") {
      if (part.text.length) out.push({ type: "text", text: part.text });
    } else {
      out.push(imageBlock(part.url, `messages[${index}].content[${j}].url`));
    }
  }
}

/** Our JSON-text arguments as the object Anthropic wants; `""` (a call without arguments) is `{}`. */
export function parseToolArguments(text: string, field: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw invalid(field, `tool-call arguments must be JSON text (${e instanceof Error ? e.message : String(e)})`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw invalid(field, "tool-call arguments must be a JSON object");
  }
  return value as Record<string, unknown>;
}

/** Anthropic wants a turn's tool results before anything else in it; keeps the order otherwise. */
function resultsFirst(turn: AnthropicMessage): void {
  const blocks = turn.content;
  let sawOther = false;
  let misplaced = false;
  for (const b of blocks) {
    if (b.type !== "tool_result") sawOther = true;
    else if (sawOther) misplaced = true;
  }
  if (!misplaced) return;
  turn.content = [...blocks.filter((b) => b.type === "tool_result"), ...blocks.filter((b) => b.type !== "tool_result")];
}

export function convertToAnthropicMessages(messages: Message[]): AnthropicPrompt {
  const system: string[] = [];
  const out: AnthropicMessage[] = [];
  const append = (role: "user" | "assistant", blocks: AnthropicContentBlock[]) => {
    if (blocks.length === 0) return; // Anthropic rejects empty turns; an empty message says nothing
    const last = out[out.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };

  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    switch (m.role) {
      case "system":
      case "developer":
        if (m.content.length) system.push(m.content);
        break;
      case "user": {
        const blocks: AnthropicContentBlock[] = [];
        userBlocks(m.content, i, blocks);
        append("user", blocks);
        break;
      }
      case "assistant": {
        const blocks: AnthropicContentBlock[] = [];
        if (m.content) blocks.push({ type: "text", text: m.content });
        m.toolCalls?.forEach((c, j) => {
          blocks.push({
            type: "tool_use",
            id: c.id,
            name: c.name,
            input: parseToolArguments(c.arguments, `messages[${i}].toolCalls[${j}].arguments`),
          });
        });
        append("assistant", blocks);
        break;
      }
      case "tool": {
        const block: AnthropicContentBlock = { type: "tool_result", tool_use_id: m.toolCallId };
        if (m.content.length) block.content = m.content;
        append("user", [block]);
        break;
      }
    }
  }
  for (const turn of out) if (turn.role === "user") resultsFirst(turn);
  const prompt: AnthropicPrompt = { messages: out };
  if (system.length) prompt.system = system.join("\n\n");
  return prompt;
}
