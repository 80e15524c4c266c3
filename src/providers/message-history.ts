/** What several providers' message converters read from our messages, read one way. */
import type { ContentPart, Message } from "../core/request";

/** The text of a content given as parts, one part per line (image parts have none). */
export function joinTextParts(parts: readonly ContentPart[]): string {
  const texts: string[] = [];
  for (const p of parts) if (p.type === "text") texts.push(p.text);
  return texts.join("\n");
}

/**
 * For each message, the name of the tool it answers when it is a tool result: the name of the
 * latest earlier assistant call with its id. `undefined` for other messages, and for a result
 * that no earlier call has the id of.
 */
export function toolResultNames(messages: readonly Message[]): (string | undefined)[] {
  const namesById = new Map<string, string>();
  return messages.map((m) => {
    if (m.role === "assistant") for (const c of m.toolCalls ?? []) namesById.set(c.id, c.name);
    return m.role === "tool" ? namesById.get(m.toolCallId) : undefined;
  });
}
