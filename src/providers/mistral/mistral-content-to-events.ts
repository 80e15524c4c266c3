/**
 * Mistral's `content`: a string, or (Magistral reasoning models) an array of chunks where
 * `{type:"thinking", thinking:[{type:"text", text}]}` carries reasoning. Read here for the SDK's
 * answers and for Mistral's OpenAI-compatible endpoint behind an OpenAI-compatible provider.
 */
import type { AdapterEvent } from "../../core/events";

interface ContentPartLike {
  type?: unknown;
  text?: unknown;
  thinking?: unknown;
}

export function mistralContentToEvents(content: unknown, out: AdapterEvent[]): void {
  if (typeof content === "string") {
    if (content) out.push({ type: "text", text: content });
    return;
  }
  if (!Array.isArray(content)) return;
  for (const part of content as (ContentPartLike | null | undefined)[]) {
    if (part?.type === "text") {
      if (typeof part.text === "string" && part.text) out.push({ type: "text", text: part.text });
    } else if (part?.type === "thinking" && Array.isArray(part.thinking)) {
      for (const t of part.thinking as (ContentPartLike | null | undefined)[]) {
        if (typeof t?.text === "string" && t.text) out.push({ type: "reasoning", text: t.text });
      }
    }
  }
}
