/**
 * The tools a request offers and the tool choice that goes with them, as every provider's
 * request builder reads them. The rule is written once, here:
 *
 * - An empty `tools` list is no tools: the OpenAI-style APIs refuse an empty array.
 * - A tool choice is only sent together with tools: OpenAI, Azure, vLLM, Anthropic (and so
 *   Bedrock) and Gemini refuse a choice without tools. `auto` and `none` without tools ask for
 *   what no tools gives anyway, so they are left out.
 * - `required` or a named tool without tools, and a named tool that is not among the tools,
 *   cannot be honoured by any upstream: a 400 naming `toolChoice`, before anything is sent.
 *
 * The request itself is left as the client sent it (the usage event records what was asked).
 */
import { invalid } from "./invalid-field";
import type { CompletionRequest, Tool, ToolChoice } from "../core/request";

export interface ToolOffer {
  /** Never empty. */
  tools: Tool[];
  choice?: ToolChoice;
}

/** The request's tools and tool choice, or `null` when it offers no tools (and so sends no choice). */
export function toolOffer(request: CompletionRequest): ToolOffer | null {
  const choice = request.toolChoice;
  const tools = request.tools?.length ? request.tools : null;
  if (!tools) {
    if (choice === "required" || typeof choice === "object") {
      const what = choice === "required" ? `"required"` : `the tool "${choice.name}"`;
      throw invalid("toolChoice", `asks for ${what} but the request offers no tools; add them to "tools", or leave toolChoice out`);
    }
    return null;
  }
  if (typeof choice === "object" && !tools.some((t) => t.name === choice.name)) {
    throw invalid("toolChoice.name", `"${choice.name}" is not one of the request's tools`);
  }
  return choice === undefined ? { tools } : { tools, choice };
}
