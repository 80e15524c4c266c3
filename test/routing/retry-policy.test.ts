/** RetryPolicy: backoff, jitter, Retry-After, maxRetries and the time budget. */
import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../src/core/errors";
import { RetryPolicy } from "../../src/routing/retry-policy";

const retryable = (retryAfter?: number) => new GatewayError("upstream_error", "HTTP 500", { retryable: true, retryAfter });

describe("RetryPolicy", () => {
  test("backoff doubles per retry, is capped, and keeps half of it fixed", () => {
    const low = new RetryPolicy({ baseDelayMs: 100, maxDelayMs: 1000 }, () => 0);
    const high = new RetryPolicy({ baseDelayMs: 100, maxDelayMs: 1000 }, () => 0.999999);
    expect([1, 2, 3, 4, 5].map((r) => low.backoffMs(r))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((r) => high.backoffMs(r))).toEqual([100, 200, 400, 800, 1000]);
  });

  test("retries a retryable failure up to maxRetries", () => {
    const policy = new RetryPolicy({ baseDelayMs: 100 }, () => 0.5);
    expect(policy.decide(retryable(), 0, 2, 60_000)).toEqual({ retry: true, delayMs: 75 });
    expect(policy.decide(retryable(), 1, 2, 60_000)).toEqual({ retry: true, delayMs: 150 });
    expect(policy.decide(retryable(), 2, 2, 60_000)).toMatchObject({ retry: false });
    expect(policy.decide(retryable(), 0, 0, 60_000)).toMatchObject({ retry: false });
  });

  test("never retries what is not retryable", () => {
    const policy = new RetryPolicy();
    expect(policy.decide(new GatewayError("upstream_invalid_request", "too long"), 0, 2, 60_000)).toEqual({
      retry: false,
      reason: "not retryable",
    });
  });

  test("waits at least Retry-After, up to the cap; past it moves on", () => {
    const policy = new RetryPolicy({ baseDelayMs: 100, maxRetryAfterMs: 5000 }, () => 0);
    expect(policy.decide(retryable(3), 0, 2, 60_000)).toEqual({ retry: true, delayMs: 3000 });
    expect(policy.decide(retryable(5), 0, 2, 60_000)).toEqual({ retry: true, delayMs: 5000 });
    expect(policy.decide(retryable(6), 0, 2, 60_000)).toMatchObject({ retry: false });
    // A Retry-After shorter than the backoff does not shorten it.
    expect(new RetryPolicy({ baseDelayMs: 4000 }, () => 0).decide(retryable(1), 0, 2, 60_000)).toEqual({ retry: true, delayMs: 2000 });
  });

  test("does not wait past the request's budget", () => {
    const policy = new RetryPolicy({ baseDelayMs: 100 }, () => 0);
    expect(policy.decide(retryable(), 0, 2, 51)).toEqual({ retry: true, delayMs: 50 });
    expect(policy.decide(retryable(), 0, 2, 50)).toMatchObject({ retry: false });
    expect(policy.decide(retryable(2), 0, 2, 1500)).toMatchObject({ retry: false });
  });
});
