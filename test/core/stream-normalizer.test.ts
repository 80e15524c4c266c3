/** The one place the stream grammar is enforced, fed the shapes providers really produce. */
import { describe, expect, test } from "bun:test";
import type { AdapterEvent, ChunkEvent } from "../../src/core/events";
import { GatewayError } from "../../src/core/errors";
import { StreamNormalizer } from "../../src/core/stream-normalizer";
import { grammarViolations } from "../support/ndjson";

function run(events: AdapterEvent[]): { chunks: ChunkEvent[]; result: ReturnType<StreamNormalizer["end"]> } {
  const chunks: ChunkEvent[] = [];
  const n = new StreamNormalizer(
    (c) => chunks.push(c),
    () => 11,
  );
  for (const e of events) n.push(e);
  const result = n.end();
  return { chunks, result };
}

describe("StreamNormalizer", () => {
  test("empty text is skipped; text closes before a tool call opens", () => {
    const { chunks } = run([
      { type: "text", text: "" },
      { type: "text", text: "Let me check." },
      { type: "tool_call", index: 0, id: "a", name: "f", arguments: "" },
      { type: "tool_call", index: 0, arguments: '{"x":' },
      { type: "tool_call", index: 0, arguments: "1}" },
      { type: "usage", usage: { inputTokens: 3, outputTokens: 4 } },
      { type: "finish", reason: "tool_calls" },
    ]);
    expect(grammarViolations(chunks)).toEqual([]);
    expect(chunks.map((c) => c.type)).toEqual([
      "text_delta_start",
      "text_delta_end",
      "tool_call_start",
      "tool_call_delta",
      "tool_call_delta",
      "tool_call_end",
      "usage",
      "finish",
    ]);
    expect(chunks[5]).toEqual({ type: "tool_call_end", id: "a", name: "f", arguments: '{"x":1}' });
  });

  test("a call with no arguments ends with {}; a repeated empty fragment opens no second call", () => {
    const { chunks } = run([
      { type: "tool_call", index: 0, id: "a", name: "now" },
      { type: "tool_call", index: 0, arguments: "" },
      { type: "finish", reason: "tool_calls" },
    ]);
    expect(chunks.filter((c) => c.type === "tool_call_start")).toHaveLength(1);
    expect(chunks.find((c) => c.type === "tool_call_end")).toEqual({ type: "tool_call_end", id: "a", name: "now", arguments: "{}" });
  });

  test("a call without an id gets one; stop with calls becomes tool_calls", () => {
    const { chunks, result } = run([
      { type: "tool_call", index: 0, name: "f", arguments: "{}" },
      { type: "tool_call", index: 1, name: "g", arguments: "{}" },
      { type: "finish", reason: "stop" },
    ]);
    const starts = chunks.filter((c) => c.type === "tool_call_start") as { id: string }[];
    expect(starts).toHaveLength(2);
    expect(starts[0]!.id).toMatch(/^call_/);
    expect(starts[0]!.id).not.toBe(starts[1]!.id);
    expect(result.finishReason).toBe("tool_calls");
  });

  test("usage fields given later replace earlier ones; missing usage is estimated", () => {
    expect(
      run([
        { type: "usage", usage: { inputTokens: 5, outputTokens: 1 } },
        { type: "usage", usage: { outputTokens: 9 } },
        { type: "finish", reason: "stop" },
      ]).result,
    ).toEqual({
      usage: { inputTokens: 5, outputTokens: 9 },
      usageSource: "provider",
      finishReason: "stop",
    });
    const est = run([
      { type: "text", text: "Hello there, friend" },
      { type: "finish", reason: "stop" },
    ]).result;
    expect(est).toEqual({ usage: { inputTokens: 11, outputTokens: 4 }, usageSource: "estimated", finishReason: "stop" });
  });

  test("a stream that ends without a finish reason is a failure", () => {
    const n = new StreamNormalizer(
      () => {},
      () => 0,
    );
    n.push({ type: "text", text: "cut" });
    expect(() => n.end()).toThrow(GatewayError);
  });

  test("a failure after the first chunk: error, usage (estimated output), finish error; open call abandoned", () => {
    const chunks: ChunkEvent[] = [];
    const n = new StreamNormalizer(
      (c) => chunks.push(c),
      () => 7,
    );
    n.push({ type: "usage", usage: { inputTokens: 20, outputTokens: 1 } });
    n.push({ type: "tool_call", index: 0, id: "a", name: "f", arguments: '{"city":"Par' });
    const result = n.fail("upstream_error", "reset");
    expect(grammarViolations(chunks)).toEqual([]);
    expect(chunks.map((c) => c.type)).toEqual(["tool_call_start", "tool_call_delta", "error", "usage", "finish"]);
    expect(result.usageSource).toBe("estimated");
    expect(result.usage.inputTokens).toBe(20);
    expect(result.usage.outputTokens).toBeGreaterThan(1);
  });

  test("reasoning is never sent but counts toward estimated output", () => {
    const { chunks, result } = run([
      { type: "reasoning", text: "thinking hard about this" },
      { type: "text", text: "4" },
      { type: "finish", reason: "stop" },
    ]);
    expect(chunks.filter((c) => c.type.startsWith("text")).map((c) => (c as { content: string }).content)).toEqual(["4", ""]);
    expect(result.usage.outputTokens).toBeGreaterThan(2);
  });
});
