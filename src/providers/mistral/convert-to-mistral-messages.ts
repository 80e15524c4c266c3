/**
 * Our messages → the Mistral SDK's (camelCase; the SDK writes Mistral's snake_case).
 * Differences from OpenAI's shape: images are `image_url` with a plain string, tool results carry
 * the tool's `name`, and every tool-call id in the history is made Mistral-valid (9 alphanumerics).
 */
import type { ChatCompletionRequest, ContentChunk } from "@mistralai/mistralai/models/components";
import type { Message } from "../../core/request";
import { toolResultNames } from "../message-history";
import { toMistralToolCallId } from "./mistral-tool-call-id";

export type MistralMessage = ChatCompletionRequest["messages"][number];

export function convertToMistralMessages(messages: Message[]): MistralMessage[] {
  /** The `name` of each tool result, found by our (unmapped) call id. */
  const toolNames = toolResultNames(messages);
  const out: MistralMessage[] = new Array(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    switch (m.role) {
      case "system":
      case "developer":
        out[i] = { role: "system", content: m.content };
        break;
      case "user":
        out[i] = {
          role: "user",
          content:
            typeof m.content === "string"
              ? m.content
              : m.content.map(
                  (p): ContentChunk => (p.type === "text" ? { type: "text", text: p.text } : { type: "image_url", imageUrl: p.url }),
                ),
        };
        break;
      case "assistant": {
        const calls = m.toolCalls;
        if (calls?.length) {
          out[i] = {
            role: "assistant",
            content: m.content ?? "",
            toolCalls: calls.map((c, index) => ({
              id: toMistralToolCallId(c.id),
              type: "function",
              function: { name: c.name, arguments: c.arguments },
              index,
            })),
          };
        } else {
          out[i] = { role: "assistant", content: m.content ?? "" };
        }
        break;
      }
      case "tool": {
        const name = toolNames[i];
        out[i] = {
          role: "tool",
          toolCallId: toMistralToolCallId(m.toolCallId),
          content: m.content,
          ...(name !== undefined && { name }),
        };
        break;
      }
    }
  }
  return out;
}
