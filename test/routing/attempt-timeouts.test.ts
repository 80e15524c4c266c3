/**
 * The timer behind an attempt's timeouts, on its own: whichever deadline passes first fires, with
 * its own message, whatever was cleared or moved before it. (Each timeout against real upstreams:
 * timeouts.test.ts.)
 */
import { expect, test } from "bun:test";
import { AttemptTimeouts, type TimeoutSettings } from "../../src/routing/attempt-timeouts";

const roomy = { totalMs: 60_000, remainingMs: 60_000 };

function timeouts(settings: TimeoutSettings, budget = roomy) {
  return new AttemptTimeouts(settings, "openai", budget);
}

function aborted(t: AttemptTimeouts): Promise<void> {
  return new Promise((resolve) => {
    if (t.signal.aborted) resolve();
    else t.signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

test("headers in time: the connect deadline is forgotten and the first-byte one fires", async () => {
  const t = timeouts({ totalMs: 5000, connectMs: 20, firstByteMs: 80 });
  t.responseHeaders();
  await aborted(t);
  expect(t.firedKind).toBe("first_byte");
  expect(t.timeoutError()!.message).toBe("openai sent nothing within 80 ms (first-byte timeout)");
  expect(t.signal.reason).toMatchObject({ code: "upstream_timeout" });
});

test("no headers: connect fires before a later first-byte deadline", async () => {
  const t = timeouts({ totalMs: 5000, connectMs: 30, firstByteMs: 2000 });
  await aborted(t);
  expect(t.firedKind).toBe("connect");
  expect(t.timeoutError()!.message).toBe("openai sent no response headers within 30 ms (connect timeout)");
});

test("idle: an upstream that keeps talking is not idle; one that stops is, once the wait is long enough", async () => {
  const t = timeouts({ totalMs: 5000, connectMs: 2000, firstByteMs: 2000, idleMs: 60 });
  t.responseHeaders();
  t.eventArrived();
  // Events every 20 ms for 200 ms: never a 60 ms wait.
  for (let i = 0; i < 10; i++) {
    t.awaitingEvent();
    await Bun.sleep(20);
    expect(t.signal.aborted).toBe(false);
    t.eventArrived();
  }
  // Not waiting (the client reads slowly): not idle either.
  await Bun.sleep(120);
  expect(t.signal.aborted).toBe(false);
  t.awaitingEvent();
  await aborted(t);
  expect(t.firedKind).toBe("idle");
  expect(t.timeoutError()!.message).toBe("openai went silent for 60 ms (idle timeout)");
});

test("total: a stream past its total time is cut even while it talks; the budget's message when the budget is shorter", async () => {
  const t = timeouts({ totalMs: 80, connectMs: 2000, firstByteMs: 2000, idleMs: 2000 });
  t.responseHeaders();
  t.eventArrived();
  while (!t.signal.aborted) {
    t.awaitingEvent();
    await Bun.sleep(10);
    t.eventArrived();
  }
  expect(t.firedKind).toBe("total");
  expect(t.timeoutError()!.message).toBe("openai did not finish within 80 ms (total timeout)");

  const budgeted = timeouts({ totalMs: 5000 }, { totalMs: 9000, remainingMs: 40 });
  await aborted(budgeted);
  expect(budgeted.timeoutError()!.message).toBe("openai did not finish before the request's 9000 ms time budget ran out (total timeout)");
});

test("deadlines that fall together: total is the one reported", async () => {
  const t = timeouts({ totalMs: 40, connectMs: 40, firstByteMs: 40 });
  await aborted(t);
  expect(t.firedKind).toBe("total");
});

test("disposed, nothing fires; aborted by the caller, no timeout is reported", async () => {
  const t = timeouts({ totalMs: 30, connectMs: 20, firstByteMs: 25 });
  t.dispose();
  await Bun.sleep(80);
  expect(t.signal.aborted).toBe(false);
  expect(t.timeoutError()).toBeNull();

  const cancelled = timeouts({ totalMs: 30 });
  const wait = cancelled.bounded(new Promise(() => {}));
  cancelled.abort(new Error("client gone"));
  await expect(wait).rejects.toThrow("client gone");
  await Bun.sleep(60);
  expect(cancelled.firedKind).toBeNull();
});
