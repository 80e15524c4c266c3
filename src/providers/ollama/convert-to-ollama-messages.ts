/**
 * Our messages → Ollama's native chat messages. Ollama differs from OpenAI in three ways that
 * matter: tool arguments are JSON objects (not JSON text), a tool result names its tool
 * (`tool_name`) rather than only its call, and images are raw base64 beside the text.
 */
import { invalid } from "../invalid-field";
import type { Message } from "../../core/request";
import { joinTextParts, toolResultNames } from "../message-history";

export interface OllamaToolCall {
  id?: string;
  function: { name: string; arguments: Record<string, unknown> };
}

export type OllamaMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string; images?: string[] }
  | { role: "assistant"; content: string; tool_calls?: OllamaToolCall[] }
  | { role: "tool"; content: string; tool_name: string; tool_call_id: string };

export function convertToOllamaMessages(messages: Message[]): OllamaMessage[] {
  /** The tool each result answers: Ollama matches a result to its tool by name. */
  const toolNames = toolResultNames(messages);
  const out: OllamaMessage[] = new Array(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    switch (m.role) {
      case "system":
      case "developer":
        out[i] = { role: "system", content: m.content };
        break;
      case "user":
        out[i] = typeof m.content === "string" ? { role: "user", content: m.content } : userWithParts(m.content, i);
        break;
      case "assistant": {
        const msg: Extract<OllamaMessage, { role: "assistant" }> = { role: "assistant", content: m.content ?? "" };
        if (m.toolCalls?.length) {
          msg.tool_calls = m.toolCalls.map((c, j) => ({
            id: c.id,
            function: { name: c.name, arguments: argumentsObject(c.arguments, `messages[${i}].toolCalls[${j}].arguments`) },
          }));
        }
        out[i] = msg;
        break;
      }
      case "tool": {
        const name = toolNames[i];
        if (name === undefined) {
          throw invalid(
            `messages[${i}].toolCallId`,
            `no earlier assistant tool call has id "${m.toolCallId}" (ollama needs the tool's name)`,
          );
        }
        out[i] = { role: "tool", content: m.content, tool_name: name, tool_call_id: m.toolCallId };
        break;
      }
    }
  }
  return out;
}

function userWithParts(parts: Exclude<Extract<Message, { role: "user" }>["content"], string>, i: number): OllamaMessage {
  const images: string[] = [];
  parts.forEach((p, j) => {
    if (p.type === "image") images.push(base64Image(p.url, `messages[${i}].content[${j}].url`));
  });
  // Ollama has one text per message; parts are kept apart by a newline.
  const content = joinTextParts(parts);
  return images.length ? { role: "user", content, images } : { role: "user", content };
}

/** `data:image/png;base64,AAAA` → `AAAA`. Ollama cannot fetch URLs. */
function base64Image(url: string, field: string): string {
  const comma = url.indexOf(",");
  if (!url.startsWith("data:") || comma < 0 || !url.slice(0, comma).endsWith(";base64")) {
    throw invalid(field, "ollama takes images only as base64 data: URLs (data:<type>;base64,…), not links");
  }
  return url.slice(comma + 1);
}

/** Our JSON text → the object Ollama wants; an empty string is no arguments. */
function argumentsObject(text: string, field: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid(field, "must be JSON text (ollama takes tool arguments as an object)");
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw invalid(field, "must be a JSON object for provider ollama");
  }
  return value as Record<string, unknown>;
}
