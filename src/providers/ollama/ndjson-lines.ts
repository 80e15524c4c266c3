/**
 * A byte stream → its NDJSON lines, in batches: every line one read of the body completed. A line
 * may arrive split across reads (even inside a UTF-8 character) and one read may hold several
 * lines: bytes are decoded in streaming mode and the unfinished tail waits for the next read. A
 * last line without its newline still counts. The batch array is reused: read it before asking
 * for the next.
 */
export async function* ndjsonLineBatches(body: ReadableStream<Uint8Array>): AsyncGenerator<readonly string[], void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const batch: string[] = [];
  let pending = "";
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      batch.length = 0;
      let start = 0;
      let newline = pending.indexOf("\n");
      while (newline !== -1) {
        const line = pending.slice(start, newline).trim();
        start = newline + 1;
        if (line) batch.push(line);
        newline = pending.indexOf("\n", start);
      }
      if (start > 0) pending = pending.slice(start);
      if (batch.length > 0) yield batch;
    }
    finished = true;
    const last = (pending + decoder.decode()).trim();
    if (last) {
      batch.length = 0;
      batch.push(last);
      yield batch;
    }
  } finally {
    // Stopped early (client gone, error line): release the connection instead of draining it.
    if (!finished) reader.cancel().catch(() => {});
  }
}
