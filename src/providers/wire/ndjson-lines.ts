/**
 * A byte stream → its NDJSON lines, in batches: every line one read of the body completed. A line
 * may arrive split across reads (even inside a UTF-8 character) and one read may hold several
 * lines: bytes are decoded in streaming mode and the unfinished tail waits for the next read. A
 * last line without its newline still counts. The batch array is reused: read it before asking
 * for the next.
 *
 * Linear in the bytes: an unfinished line is kept as the pieces it arrived in and only new text is
 * searched for its end. A line longer than `maxLineChars` fails the stream (and cancels the body).
 */
import { DEFAULT_MAX_EVENT_BYTES, upstreamTooLarge } from "../upstream-limits";

export async function* ndjsonLineBatches(
  body: ReadableStream<Uint8Array>,
  maxLineChars = DEFAULT_MAX_EVENT_BYTES,
  source = "upstream",
): AsyncGenerator<readonly string[], void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const batch: string[] = [];
  let pending: string[] = [];
  let pendingLength = 0;
  let finished = false;
  const add = (line: string) => {
    if (line.length > maxLineChars) throw upstreamTooLarge(source, "event", maxLineChars);
    const trimmed = line.trim();
    if (trimmed) batch.push(trimmed);
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const text = decoder.decode(value, { stream: true });
      let newline = text.indexOf("\n");
      if (newline === -1) {
        pending.push(text);
        pendingLength += text.length;
        if (pendingLength > maxLineChars) throw upstreamTooLarge(source, "event", maxLineChars);
        continue;
      }
      batch.length = 0;
      add(pendingLength > 0 ? pending.join("") + text.slice(0, newline) : text.slice(0, newline));
      pending = [];
      pendingLength = 0;
      let start = newline + 1;
      newline = text.indexOf("\n", start);
      while (newline !== -1) {
        add(text.slice(start, newline));
        start = newline + 1;
        newline = text.indexOf("\n", start);
      }
      if (start < text.length) {
        pending.push(start > 0 ? text.slice(start) : text);
        pendingLength = text.length - start;
        if (pendingLength > maxLineChars) throw upstreamTooLarge(source, "event", maxLineChars);
      }
      if (batch.length > 0) yield batch;
    }
    finished = true;
    batch.length = 0;
    add(pending.join("") + decoder.decode());
    if (batch.length > 0) yield batch;
  } finally {
    // Stopped early (client gone, error line, a line too long): release the connection instead of draining it.
    if (!finished) reader.cancel().catch(() => {});
  }
}
