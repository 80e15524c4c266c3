/**
 * A conversation → one prompt for the legacy text-completions API, which has no roles.
 *
 * The template (documented in docs/providers-openai-compatible.md):
 *
 *     <system and developer messages, in order>
 *
 *     User: <user text>
 *
 *     Assistant: <assistant text>
 *
 *     User: <user text>
 *
 *     Assistant:
 *
 * Paragraphs are separated by a blank line; multi-part user content is joined one part per line.
 * The prompt ends with `Assistant:` (no trailing space, which tokenizes badly) so the model
 * writes the next assistant turn; `USER_TURN_STOP` keeps it from writing the user's turn too.
 * Tool calls and images never reach here: the request is refused before.
 */
import type { Message } from "../../core/request";
import { joinTextParts } from "../message-history";

export const USER_LABEL = "User:";
export const ASSISTANT_LABEL = "Assistant:";
/** Stop sequence added to every legacy completion (while the API's limit of 4 leaves room). */
export const USER_TURN_STOP = `\n${USER_LABEL}`;

export function renderCompletionPrompt(messages: readonly Message[]): string {
  const paragraphs: string[] = [];
  for (const m of messages) {
    switch (m.role) {
      case "system":
      case "developer":
        paragraphs.push(m.content);
        break;
      case "user":
        paragraphs.push(`${USER_LABEL} ${typeof m.content === "string" ? m.content : joinTextParts(m.content)}`);
        break;
      case "assistant":
        paragraphs.push(m.content ? `${ASSISTANT_LABEL} ${m.content}` : ASSISTANT_LABEL);
        break;
      case "tool":
        break;
    }
  }
  paragraphs.push(ASSISTANT_LABEL);
  return paragraphs.join("\n\n");
}
