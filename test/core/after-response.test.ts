/** Per-completion accounting runs after the answer, once per event-loop turn, and a stop flushes it. */
import { expect, test } from "bun:test";
import { afterResponse, flushAfterResponse } from "../../src/completion/after-response";

test("tasks run on the next turn of the event loop, in order, not before", async () => {
  const ran: number[] = [];
  afterResponse({ run: () => ran.push(1) });
  afterResponse({ run: () => ran.push(2) });
  await Promise.resolve();
  expect(ran).toEqual([]);
  await new Promise((resolve) => setImmediate(resolve));
  expect(ran).toEqual([1, 2]);
});

test("a task that throws does not keep the others from running", async () => {
  const ran: string[] = [];
  const errors: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args);
  try {
    afterResponse({ run: () => ran.push("before") });
    afterResponse({
      run: () => {
        throw new Error("broken sink");
      },
    });
    afterResponse({ run: () => ran.push("after") });
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    console.error = original;
  }
  expect(ran).toEqual(["before", "after"]);
  expect(errors).toHaveLength(1);
});

test("flushAfterResponse runs what is waiting at once (graceful stop, before the sink closes)", () => {
  const ran: string[] = [];
  afterResponse({ run: () => ran.push("event") });
  flushAfterResponse();
  expect(ran).toEqual(["event"]);
});
