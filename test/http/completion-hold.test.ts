/** A completion's hold on its connection and the shutdown drain: taken at its start, let go once. */
import { expect, test } from "bun:test";
import type { CompletionExecution } from "../../src/completion/completion-execution";
import { CompletionHold, type CompletionServing } from "../../src/http/answer-completion";
import { createMetrics } from "../../src/observability/metrics";

function serving() {
  const metrics = createMetrics();
  let held = 0;
  const serving = {
    deps: { metrics },
    ready: () => null,
    streams: new Set<CompletionExecution>(),
    inFlight: new Set<CompletionExecution>(),
    holdConnection: () => {
      held++;
      return () => held--;
    },
  } as unknown as CompletionServing;
  return { serving, metrics, held: () => held };
}

const execution = {} as CompletionExecution;
const request = new Request("http://localhost/api/v1/completions");

test("a JSON answer: drained and its connection held until released, released once", () => {
  const { serving: s, held } = serving();
  const hold = new CompletionHold(s, execution, request);
  expect(s.inFlight.has(execution)).toBe(true);
  expect(held()).toBe(1);
  hold.release();
  hold.release();
  expect(s.inFlight.size).toBe(0);
  expect(held()).toBe(0);
  expect(s.streams.size).toBe(0);
});

test("a stream also counts as open (health, active streams) until it is released", async () => {
  const { serving: s, metrics, held } = serving();
  const hold = new CompletionHold(s, execution, request);
  hold.stream();
  expect(s.streams.has(execution)).toBe(true);
  expect(await metrics.registry.metrics()).toContain("active_streams 1");
  hold.release();
  hold.release();
  expect(s.streams.size).toBe(0);
  expect(s.inFlight.size).toBe(0);
  expect(held()).toBe(0);
  expect(await metrics.registry.metrics()).toContain("active_streams 0");
});
