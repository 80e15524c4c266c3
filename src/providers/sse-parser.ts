/**
 * Server-sent events (WHATWG HTML §9.2 "event stream" parsing), fed decoded text as it arrives.
 *
 * Lines end in LF, CRLF or a lone CR — a CRLF may be split across two reads; lines starting with
 * `:` are comments (keep-alive pings); `data` lines of one event are joined with LF; a field
 * without a colon has an empty value; one space after the colon is dropped; an event is
 * dispatched at the blank line that ends it, and one never ended by a blank line is dropped at
 * the end of the stream, as the standard (and the official SDKs) do.
 *
 * Built for the hot path: text is scanned with `indexOf`, a block of `data: …` alone (what every
 * provider sends) is read without splitting it into lines, and nothing is kept but the unfinished
 * tail.
 */

export interface SseMessage {
  /** The `event` field; `undefined` when none was given (the default "message"). */
  event: string | undefined;
  data: string;
}

export class SseParser {
  private pending = "";
  /** The previous text ended with CR: an LF starting the next one belongs to that line end. */
  private afterCR = false;

  /** Parses `text` (the next piece of the stream) and appends every event it completes to `out`. */
  feed(text: string, out: SseMessage[]): void {
    if (this.afterCR) {
      this.afterCR = false;
      if (text.charCodeAt(0) === 10) text = text.slice(1);
    }
    if (text.indexOf("\r") !== -1) {
      // Rare (CRLF framing): normalize to LF. A CR ending the text ends its line; an LF opening
      // the next text is then the rest of that CRLF.
      const endsWithCR = text.charCodeAt(text.length - 1) === 13;
      text = text.replace(/\r\n?/g, "\n");
      this.afterCR = endsWithCR;
    }
    let buffer = this.pending ? this.pending + text : text;
    let start = 0;
    let end = buffer.indexOf("\n\n");
    while (end !== -1) {
      const message = parseBlock(buffer, start, end);
      if (message) out.push(message);
      start = end + 2;
      end = buffer.indexOf("\n\n", start);
    }
    this.pending = start > 0 ? buffer.slice(start) : buffer;
  }
}

/** One event block (between blank lines, no line end inside but LF) → its message, if it has data. */
function parseBlock(buffer: string, start: number, end: number): SseMessage | null {
  // Fast path: a single `data: …` line.
  if (buffer.startsWith("data:", start)) {
    const lineEnd = buffer.indexOf("\n", start);
    if (lineEnd === -1 || lineEnd >= end) {
      const valueStart = buffer.charCodeAt(start + 5) === 32 ? start + 6 : start + 5;
      return { event: undefined, data: buffer.slice(valueStart, end) };
    }
  }
  let event: string | undefined;
  let data: string | undefined;
  let lineStart = start;
  while (lineStart <= end) {
    let lineEnd = buffer.indexOf("\n", lineStart);
    if (lineEnd === -1 || lineEnd > end) lineEnd = end;
    if (lineEnd > lineStart && buffer.charCodeAt(lineStart) !== 58 /* ":" comment */) {
      const colon = buffer.indexOf(":", lineStart);
      let field: string;
      let value: string;
      if (colon === -1 || colon > lineEnd) {
        field = buffer.slice(lineStart, lineEnd);
        value = "";
      } else {
        field = buffer.slice(lineStart, colon);
        value = buffer.slice(buffer.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1, lineEnd);
      }
      if (field === "data") data = data === undefined ? value : `${data}\n${value}`;
      else if (field === "event") event = value;
    }
    lineStart = lineEnd + 1;
  }
  return data === undefined ? null : { event: event || undefined, data };
}
