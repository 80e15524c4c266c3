/**
 * The stream framers (SSE events, NDJSON lines) take time linear in the bytes however a huge event
 * is cut into reads, and refuse an event past their bound instead of holding it.
 *
 * The time bounds are generous (a busy machine takes ~1 s for what takes 0.1 s idle); a framer
 * that rescans its unfinished event on every read takes many seconds for the same input.
 */
import { describe, expect, test } from "bun:test";
import { SseParser, type SseMessage } from "../../src/providers/wire/sse-parser";
import { ndjsonLineBatches } from "../../src/providers/wire/ndjson-lines";
import { DEFAULT_MAX_EVENT_BYTES } from "../../src/providers/upstream-limits";
import { GatewayError } from "../../src/core/errors";

const MB = 1024 * 1024;
const PIECE = 16 * 1024;
const LINEAR_MS = 3000;

/** `total` characters of `text` repeated, as 16 KiB pieces. */
function pieces(text: string, total: number): string[] {
  const whole = text.repeat(Math.ceil(total / text.length)).slice(0, total);
  const out: string[] = [];
  for (let i = 0; i < whole.length; i += PIECE) out.push(whole.slice(i, i + PIECE));
  return out;
}

/** The pieces as a byte stream, one read each (encoded beforehand: not part of what is timed). */
function bytes(parts: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const chunks = parts.map((p) => encoder.encode(p));
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
  });
}

describe("SseParser", () => {
  test("a 20 MB event in 16 KB reads parses in well under a second", () => {
    const parser = new SseParser(32 * MB);
    const out: SseMessage[] = [];
    const input = pieces('{"x":"abcdefghij"}', 20 * MB);
    const started = performance.now();
    parser.feed("data: ", out);
    for (const piece of input) parser.feed(piece, out);
    parser.feed("\n\ndata: next\n\n", out);
    const ms = performance.now() - started;
    expect(out.map((m) => m.data.length)).toEqual([20 * MB, 4]);
    expect(ms).toBeLessThan(LINEAR_MS);
  });

  test("a 20 MB event of 200,000 lines without a colon parses in well under a second", () => {
    const parser = new SseParser(32 * MB);
    const out: SseMessage[] = [];
    const input = pieces(`${"x".repeat(99)}\n`, 20 * MB);
    const started = performance.now();
    for (const piece of input) parser.feed(piece, out);
    parser.feed("\ndata: y\n\n", out);
    expect(performance.now() - started).toBeLessThan(LINEAR_MS);
    expect(out).toEqual([{ event: undefined, data: "y" }]);
  });

  test("an event past the bound fails the stream, arriving in pieces or in one read", () => {
    const parser = new SseParser(undefined, "openai");
    const out: SseMessage[] = [];
    let failure: unknown;
    try {
      for (const piece of pieces("data: xxxxxxxx", DEFAULT_MAX_EVENT_BYTES + PIECE)) parser.feed(piece, out);
    } catch (e) {
      failure = e;
    }
    expect(failure).toBeInstanceOf(GatewayError);
    expect(failure).toMatchObject({
      code: "upstream_error",
      message: `openai answer exceeds ${DEFAULT_MAX_EVENT_BYTES} bytes in one stream event`,
    });
    expect(() => new SseParser(1024).feed(`data: ${"x".repeat(2000)}\n\n`, out)).toThrow("answer exceeds 1024 bytes in one stream event");
    // At the bound is fine.
    const exact = new SseParser(1024);
    exact.feed(`data: ${"x".repeat(1018)}\n\n`, out);
    expect(out.at(-1)!.data.length).toBe(1018);
  });
});

describe("ndjsonLineBatches", () => {
  test("a 20 MB line in 16 KB reads is read in well under a second", async () => {
    const body = bytes([...pieces('{"message":"abcdefghij"}', 20 * MB), "\n{}\n"]);
    const started = performance.now();
    const lines: string[] = [];
    for await (const batch of ndjsonLineBatches(body, 32 * MB)) lines.push(...batch);
    expect(performance.now() - started).toBeLessThan(LINEAR_MS);
    expect(lines.map((l) => l.length)).toEqual([20 * MB, 2]);
  });

  test("a line past the bound fails the stream and cancels the body", async () => {
    let cancelled = false;
    const parts = pieces("x", DEFAULT_MAX_EVENT_BYTES + 2 * PIECE);
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode(parts[i++] ?? "x"));
      },
      cancel() {
        cancelled = true;
      },
    });
    let failure: unknown;
    try {
      for await (const _ of ndjsonLineBatches(body, undefined, "ollama"));
    } catch (e) {
      failure = e;
    }
    expect(failure).toMatchObject({
      code: "upstream_error",
      message: `ollama answer exceeds ${DEFAULT_MAX_EVENT_BYTES} bytes in one stream event`,
    });
    expect(cancelled).toBe(true);
  });
});
