/**
 * A byte stream → its NDJSON lines. A line may arrive split across reads (even inside a UTF-8
 * character) and one read may hold several lines: bytes are decoded in streaming mode and the
 * unfinished tail waits for the next read. A last line without its newline still counts.
 */
export async function* ndjsonLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      let start = 0;
      let newline = pending.indexOf("\n");
      while (newline !== -1) {
        const line = pending.slice(start, newline).trim();
        start = newline + 1;
        if (line) yield line;
        newline = pending.indexOf("\n", start);
      }
      if (start > 0) pending = pending.slice(start);
    }
    finished = true;
    const last = (pending + decoder.decode()).trim();
    if (last) yield last;
  } finally {
    // Stopped early (client gone, error line): release the connection instead of draining it.
    if (!finished) reader.cancel().catch(() => {});
  }
}
