/**
 * Whether, and after how long, a failed attempt is tried again on the same target: exponential
 * backoff with jitter, the upstream's `Retry-After` honoured up to a cap, `maxRetries` per
 * provider, and never past the request's time budget. Pure: no timers, no I/O.
 */
import type { GatewayError } from "../core/errors";

export const DEFAULT_MAX_RETRIES = 2;

export interface RetryPolicyOptions {
  /** Backoff before the first retry; doubled for each further one. */
  baseDelayMs: number;
  /** Backoff never grows past this. */
  maxDelayMs: number;
  /**
   * The longest `Retry-After` waited out on the same target. A longer one is respected by not
   * calling that target again in this request: routing moves on to the next target.
   */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicyOptions = {
  baseDelayMs: 250,
  maxDelayMs: 4_000,
  maxRetryAfterMs: 10_000,
};

export type RetryDecision =
  | { retry: true; delayMs: number }
  /** `reason` is for the log: why this target is not tried again. */
  | { retry: false; reason: string };

export class RetryPolicy {
  readonly options: RetryPolicyOptions;

  constructor(
    options: Partial<RetryPolicyOptions> = {},
    private readonly random: () => number = Math.random,
  ) {
    this.options = { ...DEFAULT_RETRY_POLICY, ...options };
  }

  /**
   * Backoff before retry number `retry` (1-based): `base · 2^(retry-1)`, capped, with "equal
   * jitter" — half of it fixed, half random — so concurrent requests spread out but none retries
   * at once.
   */
  backoffMs(retry: number): number {
    const { baseDelayMs, maxDelayMs } = this.options;
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, retry - 1));
    return Math.round(ceiling / 2 + this.random() * (ceiling / 2));
  }

  /**
   * After the attempt failed with `error`, having retried this target `retriesDone` times already,
   * with `remainingMs` left of the request's budget.
   */
  decide(error: GatewayError, retriesDone: number, maxRetries: number, remainingMs: number): RetryDecision {
    if (!error.retryable) return { retry: false, reason: "not retryable" };
    if (retriesDone >= maxRetries) return { retry: false, reason: `retries exhausted (maxRetries ${maxRetries})` };
    const retryAfterMs = error.retryAfter !== undefined ? error.retryAfter * 1000 : 0;
    if (retryAfterMs > this.options.maxRetryAfterMs) {
      return {
        retry: false,
        reason: `Retry-After ${error.retryAfter} s is longer than the ${this.options.maxRetryAfterMs} ms waited on one target`,
      };
    }
    const delayMs = Math.max(this.backoffMs(retriesDone + 1), retryAfterMs);
    if (delayMs >= remainingMs) return { retry: false, reason: "no time left in the request's budget" };
    return { retry: true, delayMs };
  }
}
