/** The chunk pump: the upstream read only when asked, and every chunk ready in one turn in one fill. */
import { expect, test } from "bun:test";
import { ChunkPump, type PumpedCompletion } from "../../src/completion/chunk-pump";
import type { CompletionAccounting } from "../../src/completion/completion-accounting";
import type { AdapterYield } from "../../src/core/events";
import type { NormalizerResult } from "../../src/core/stream-normalizer";
import { normalizeRequest } from "../../src/core/request";
import { AttemptTimeouts } from "../../src/routing/attempt-timeouts";

const request = normalizeRequest({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true } as never);

/** A pump over `events`, with what it reported to its completion. */
function pumpOver(events: AsyncIterable<AdapterYield>) {
  const reported: { succeeded: NormalizerResult[]; failed: unknown[]; cancelled: number } = { succeeded: [], failed: [], cancelled: 0 };
  const accounting = { finished: false, upstreamWaitMs: 0, firstChunkAt: null as number | null };
  const completion: PumpedCompletion = {
    succeeded(result) {
      accounting.finished = true;
      reported.succeeded.push(result);
    },
    failedMidStream(error) {
      accounting.finished = true;
      reported.failed.push(error);
    },
    cancel() {
      reported.cancelled++;
    },
  };
  const pump = new ChunkPump(completion, accounting as CompletionAccounting, request);
  pump.begin(new AttemptTimeouts({ totalMs: 10_000 }, "test", { totalMs: 10_000, remainingMs: 10_000 }));
  pump.iterator = events[Symbol.asyncIterator]();
  return { pump, reported, accounting };
}

test("what the upstream has ready in one turn is one fill; a read still waiting is kept for the next", async () => {
  let release!: () => void;
  const later = new Promise<void>((resolve) => {
    release = resolve;
  });
  async function* upstream(): AsyncGenerator<AdapterYield> {
    yield { type: "text", text: "a" };
    yield { type: "text", text: "b" };
    yield [
      { type: "text", text: "c" },
      { type: "text", text: "d" },
    ];
    await later;
    yield { type: "text", text: "e" };
    yield { type: "usage", usage: { inputTokens: 1, outputTokens: 5 } };
    yield { type: "finish", reason: "stop" };
  }
  const { pump, reported, accounting } = pumpOver(upstream());

  await pump.fill();
  expect(pump.ready.map((c) => (c.type === "text_delta" || c.type === "text_delta_start" ? c.content : c.type))).toEqual([
    "a",
    "b",
    "c",
    "d",
  ]);
  expect(pump.ended).toBe(false);
  expect(accounting.firstChunkAt).not.toBeNull();
  pump.ready.length = 0;

  release();
  await pump.fill();
  expect(pump.ready.map((c) => c.type)).toEqual(["text_delta", "text_delta_end", "usage", "finish"]);
  expect(pump.ended).toBe(true);
  expect(reported.succeeded).toHaveLength(1);
  expect(reported.succeeded[0]!.usage).toMatchObject({ inputTokens: 1, outputTokens: 5 });
});

test("a failure while filling is handed to the completion, never thrown", async () => {
  async function* upstream(): AsyncGenerator<AdapterYield> {
    yield { type: "text", text: "a" };
    throw new Error("connection reset");
  }
  const { pump, reported } = pumpOver(upstream());
  await pump.fill();
  expect(pump.ready).toHaveLength(1);
  pump.ready.length = 0;
  await pump.fill();
  expect(reported.failed).toHaveLength(1);
  expect((reported.failed[0] as Error).message).toBe("connection reset");
});

test("a finished pump reads nothing more; cancel is the completion's", async () => {
  let reads = 0;
  const upstream: AsyncIterable<AdapterYield> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        reads++;
        return { done: false, value: { type: "text", text: "x" } };
      },
    }),
  };
  const { pump, reported, accounting } = pumpOver(upstream);
  accounting.finished = true;
  await pump.fill();
  expect(reads).toBe(0);
  pump.cancel();
  expect(reported.cancelled).toBe(1);
});
