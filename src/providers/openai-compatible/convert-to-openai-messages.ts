/** Our messages → OpenAI chat messages (the shape every OpenAI-compatible provider takes). */
import type { Message } from "../../core/request";
import { joinTextParts } from "../message-history";

export type OpenAIContentPart = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } };

export type OpenAIChatMessage =
  | { role: "system" | "developer"; content: string }
  | { role: "user"; content: string | OpenAIContentPart[] }
  | {
      role: "assistant";
      content: string | null;
      tool_calls?: { id: string; type: "function"; function: { name: string; arguments: string } }[];
    }
  | { role: "tool"; tool_call_id: string; content: string };

export interface ConvertOptions {
  /** Send user content as one string (providers without content parts); images must be refused before. */
  joinTextParts?: boolean;
}

export function convertToOpenAIMessages(messages: Message[], options: ConvertOptions = {}): OpenAIChatMessage[] {
  const out: OpenAIChatMessage[] = new Array(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    switch (m.role) {
      case "system":
      case "developer":
        out[i] = { role: m.role, content: m.content };
        break;
      case "user":
        out[i] = {
          role: "user",
          content:
            typeof m.content === "string"
              ? m.content
              : options.joinTextParts
                ? joinTextParts(m.content)
                : m.content.map((p) => (p.type === "text" ? p : { type: "image_url", image_url: { url: p.url } })),
        };
        break;
      case "assistant": {
        const msg: OpenAIChatMessage = { role: "assistant", content: m.content ?? null };
        if (m.toolCalls?.length) {
          msg.tool_calls = m.toolCalls.map((c) => ({
            id: c.id,
            type: "function" as const,
            function: { name: c.name, arguments: c.arguments },
          }));
        }
        out[i] = msg;
        break;
      }
      case "tool":
        out[i] = { role: "tool", tool_call_id: m.toolCallId, content: m.content };
        break;
    }
  }
  return out;
}
