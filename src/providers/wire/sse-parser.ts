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
 * event. Linear in the bytes however they are cut: an unfinished event is kept as pieces and only
 * the new text is searched for its end, so a huge event arriving in small reads is not rescanned
 * (or re-copied) from its start on every read. An event longer than `maxEventChars` fails the
 * stream instead of growing without bound.
 */
import { DEFAULT_MAX_EVENT_BYTES, upstreamTooLarge } from "../upstream-limits";

export interface SseMessage {
  /** The `event` field; `undefined` when none was given (the default "message"). */
  event: string | undefined;
  data: string;
}

export class SseParser {
  /** The unfinished event, as the pieces it arrived in. */
  private pending: string[] = [];
  private pendingLength = 0;
  /** The unfinished event ends with LF: an LF opening the next text ends the event. */
  private pendingEndsWithLF = false;
  /** The previous text ended with CR: an LF starting the next one belongs to that line end. */
  private afterCR = false;

  /**
   * @param maxEventChars the longest event (characters of decoded text, which for the ASCII JSON
   *   providers send is its bytes) held before the stream fails.
   * @param source who sends the stream, for the error.
   */
  constructor(
    private readonly maxEventChars = DEFAULT_MAX_EVENT_BYTES,
    private readonly source = "upstream",
  ) {}

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
    if (text.length === 0) return;
    let buffer = text;
    let searchFrom = 0;
    if (this.pendingLength > 0) {
      // Only the new text, or the line end just before it, can end the unfinished event.
      const ends = (this.pendingEndsWithLF && text.charCodeAt(0) === 10) || text.indexOf("\n\n") !== -1;
      if (!ends) return this.keep(text);
      this.pending.push(text);
      buffer = this.pending.join("");
      searchFrom = this.pendingLength - 1;
      this.pending = [];
      this.pendingLength = 0;
    }
    let start = 0;
    let end = buffer.indexOf("\n\n", searchFrom);
    while (end !== -1) {
      if (end - start > this.maxEventChars) throw upstreamTooLarge(this.source, "event", this.maxEventChars);
      const message = parseBlock(buffer, start, end);
      if (message) out.push(message);
      start = end + 2;
      end = buffer.indexOf("\n\n", start);
    }
    if (start < buffer.length) this.keep(start > 0 ? buffer.slice(start) : buffer);
  }

  private keep(text: string): void {
    this.pending.push(text);
    this.pendingLength += text.length;
    this.pendingEndsWithLF = text.charCodeAt(text.length - 1) === 10;
    if (this.pendingLength > this.maxEventChars) throw upstreamTooLarge(this.source, "event", this.maxEventChars);
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
  let data: string[] | undefined;
  let lineStart = start;
  // The next colon at or after `lineStart`, found again only once passed: many lines without one
  // must not each search to the end of the buffer.
  let nextColon = -1;
  while (lineStart <= end) {
    let lineEnd = buffer.indexOf("\n", lineStart);
    if (lineEnd === -1 || lineEnd > end) lineEnd = end;
    if (lineEnd > lineStart && buffer.charCodeAt(lineStart) !== 58 /* ":" comment */) {
      if (nextColon !== Infinity && nextColon < lineStart) {
        nextColon = buffer.indexOf(":", lineStart);
        if (nextColon === -1) nextColon = Infinity;
      }
      let field: string;
      let value: string;
      if (nextColon >= lineEnd) {
        field = buffer.slice(lineStart, lineEnd);
        value = "";
      } else {
        field = buffer.slice(lineStart, nextColon);
        value = buffer.slice(buffer.charCodeAt(nextColon + 1) === 32 ? nextColon + 2 : nextColon + 1, lineEnd);
      }
      if (field === "data") (data ??= []).push(value);
      else if (field === "event") event = value;
    }
    lineStart = lineEnd + 1;
  }
  return data === undefined ? null : { event: event || undefined, data: data.length === 1 ? data[0]! : data.join("\n") };
}
