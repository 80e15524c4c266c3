/**
 * The SSE parser against the event-stream rules providers lean on, fed whole and cut at every
 * position: a network read may end anywhere, inside a field, between CR and LF, inside a blank line.
 */
import { describe, expect, test } from "bun:test";
import { SseParser, type SseMessage } from "../../src/providers/wire/sse-parser";

function parse(pieces: string[]): SseMessage[] {
  const parser = new SseParser();
  const out: SseMessage[] = [];
  for (const piece of pieces) parser.feed(piece, out);
  return out;
}

/** The stream parsed whole, cut once at every position, and one character at a time: all alike. */
function parseEverySplit(stream: string): SseMessage[] {
  const whole = parse([stream]);
  for (let i = 1; i < stream.length; i++) expect([i, parse([stream.slice(0, i), stream.slice(i)])]).toEqual([i, whole]);
  expect(parse([...stream])).toEqual(whole);
  return whole;
}

const msg = (data: string, event?: string): SseMessage => ({ event, data });

describe("SseParser", () => {
  test("data events, one space after the colon dropped, a second space kept", () => {
    expect(parseEverySplit('data: {"a":1}\n\ndata:{"b":2}\n\ndata:  x\n\n')).toEqual([msg('{"a":1}'), msg('{"b":2}'), msg(" x")]);
  });

  test("CRLF and lone CR line ends, a CRLF split across reads", () => {
    const lf = parse(["event: e\ndata: 1\n\ndata: 2\n\n"]);
    expect(parseEverySplit("event: e\r\ndata: 1\r\n\r\ndata: 2\r\n\r\n")).toEqual(lf);
    expect(parseEverySplit("event: e\rdata: 1\r\rdata: 2\r\r")).toEqual(lf);
    expect(parse(["data: 1\r", "\n\r", "\ndata: 2\r\n\r\n"])).toEqual([msg("1"), msg("2")]);
  });

  test("comments (keep-alive pings) are skipped, alone or inside an event", () => {
    expect(parseEverySplit(": ping\n\ndata: a\n: note\ndata: b\n\n:\n\n")).toEqual([msg("a\nb")]);
  });

  test("event names, multi-line data, fields without a colon, unknown fields", () => {
    expect(parseEverySplit("event: message_start\nid: 7\nretry: 100\ndata: {}\n\nevent: error\ndata\ndata: x\n\n")).toEqual([
      msg("{}", "message_start"),
      msg("\nx", "error"),
    ]);
  });

  test("blank lines before and between events, and an event with no data, dispatch nothing", () => {
    expect(parseEverySplit("\n\n\ndata: a\n\n\n\nevent: ping\n\ndata: b\n\n")).toEqual([msg("a"), msg("b")]);
  });

  test("an event the stream ends inside (no blank line after it) is not dispatched", () => {
    expect(parse(["data: a\n\ndata: b\n"])).toEqual([msg("a")]);
  });

  test("multi-byte text is kept whole", () => {
    expect(parseEverySplit('data: {"t":"wörld 🌍 日本"}\n\n')).toEqual([msg('{"t":"wörld 🌍 日本"}')]);
  });
});
