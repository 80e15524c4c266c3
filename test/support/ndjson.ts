import type { ChunkEvent } from "../../src/core/events";

/** Reads an NDJSON response body into its lines, parsed. */
export async function readNdjson(response: Response): Promise<ChunkEvent[]> {
  const text = await response.text();
  return text
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as ChunkEvent);
}

/**
 * Checks the stream grammar (docs/api.md) and returns a list of violations (empty when the
 * stream is well formed): blocks closed before others open, exactly one usage then one finish,
 * last; after an `error` line only usage and finish.
 */
export function grammarViolations(lines: ChunkEvent[]): string[] {
  const problems: string[] = [];
  let open: { kind: "text" } | { kind: "tool"; id: string } | null = null;
  let usage = 0;
  let finish = 0;
  let errored = false;
  lines.forEach((line, i) => {
    const at = `line ${i + 1} (${line.type})`;
    if (finish) problems.push(`${at}: after finish`);
    if (errored && line.type !== "usage" && line.type !== "finish") problems.push(`${at}: after error`);
    switch (line.type) {
      case "text_delta_start":
        if (open) problems.push(`${at}: opens while a block is open`);
        open = { kind: "text" };
        break;
      case "text_delta":
      case "text_delta_end":
        if (open?.kind !== "text") problems.push(`${at}: no open text block`);
        if (line.type === "text_delta_end") {
          if (line.content !== "") problems.push(`${at}: end content must be ""`);
          open = null;
        }
        break;
      case "tool_call_start":
        if (open) problems.push(`${at}: opens while a block is open`);
        open = { kind: "tool", id: line.id };
        break;
      case "tool_call_delta":
      case "tool_call_end":
        if (open?.kind !== "tool" || open.id !== line.id) problems.push(`${at}: no open tool call ${line.id}`);
        if (line.type === "tool_call_end") open = null;
        break;
      case "error":
        errored = true;
        open = null;
        break;
      case "usage":
        usage++;
        if (open) problems.push(`${at}: usage while a block is open`);
        if (!Number.isInteger(line.inputTokens) || !Number.isInteger(line.outputTokens))
          problems.push(`${at}: token counts must be integers`);
        break;
      case "finish":
        finish++;
        if (usage !== 1) problems.push(`${at}: finish without exactly one usage before it`);
        if (errored && line.finishReason !== "error") problems.push(`${at}: finish after error must be "error"`);
        break;
      default:
        problems.push(`${at}: unknown type`);
    }
  });
  if (usage !== 1) problems.push(`expected exactly one usage line, got ${usage}`);
  if (finish !== 1) problems.push(`expected exactly one finish line, got ${finish}`);
  if (lines.length && lines[lines.length - 1]!.type !== "finish") problems.push("finish is not the last line");
  return problems;
}

/** The text a client would show: every text chunk's content joined. */
export function streamedText(lines: ChunkEvent[]): string {
  return lines.map((l) => (l.type === "text_delta_start" || l.type === "text_delta" ? l.content : "")).join("");
}
