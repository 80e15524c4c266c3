/**
 * The timers of one upstream attempt and the AbortSignal they fire (the signal that reaches the
 * SDK call), and which of them fired.
 *
 * - `connect`: no response headers within `connectTimeoutMs`. Adapters that report headers
 *   (`ProviderAdapter.reportsResponseHeaders`) get the default; for the others an explicitly
 *   configured value bounds the time to the first upstream event instead, since a slow first
 *   token must not look like a dead connection.
 * - `first_byte`: no upstream event within `firstByteTimeoutMs` of the attempt's start.
 * - `idle`: no upstream event for `idleTimeoutMs` while we wait for the next one. The clock only
 *   runs while we wait: a stream paused because the client reads slowly is not idle.
 * - `total`: the attempt did not finish within the provider's `timeoutMs`, or the request's budget
 *   ran out (whichever is sooner).
 *
 * JSON requests only have `total`: their upstream answers in one body, so a first byte comes only
 * with the whole answer.
 */
import type { ModelRoute, Target } from "../catalog/model-catalog";
import { GatewayError } from "../core/errors";

export type TimeoutKind = "connect" | "first_byte" | "idle" | "total";

export const DEFAULT_TIMEOUTS = {
  connectTimeoutMs: 10_000,
  firstByteTimeoutMs: 120_000,
  idleTimeoutMs: 60_000,
  timeoutMs: 600_000,
} as const;

export interface TimeoutSettings {
  connectMs?: number;
  firstByteMs?: number;
  idleMs?: number;
  totalMs: number;
}

export function timeoutsFor(target: Target, stream: boolean): TimeoutSettings {
  const c = target.config;
  const totalMs = c.timeoutMs ?? DEFAULT_TIMEOUTS.timeoutMs;
  if (!stream) return { totalMs };
  return {
    totalMs,
    connectMs: c.connectTimeoutMs ?? (target.adapter.reportsResponseHeaders ? DEFAULT_TIMEOUTS.connectTimeoutMs : undefined),
    firstByteMs: c.firstByteTimeoutMs ?? DEFAULT_TIMEOUTS.firstByteTimeoutMs,
    idleMs: c.idleTimeoutMs ?? DEFAULT_TIMEOUTS.idleTimeoutMs,
  };
}

/** The longest a request for this route may take, attempts and backoff waits together. */
export function requestBudgetMs(route: ModelRoute): number {
  let budget = 0;
  for (const t of route.targets) budget = Math.max(budget, t.config.timeoutMs ?? DEFAULT_TIMEOUTS.timeoutMs);
  return budget;
}

/**
 * Timers run in whole milliseconds and may fire a fraction of one before a deadline measured with
 * `performance.now()`: such a deadline counts as passed rather than costing another timer.
 */
const TIMER_SLACK_MS = 1;

const LABEL: Record<TimeoutKind, string> = {
  connect: "sent no response headers within",
  first_byte: "sent nothing within",
  idle: "went silent for",
  total: "did not finish within",
};

/**
 * One timer per attempt, however many timeouts it has: it is set for the earliest deadline and,
 * when it fires, finds which deadline passed, or sets itself for the next one. Clearing a
 * deadline (headers came, the first event came) only forgets it; a stream that ends in time —
 * nearly all of them — has set one timer and cleared one. The idle deadline moves with each
 * wait for an event without touching the timer, which catches up when it fires.
 */
export class AttemptTimeouts {
  private readonly controller = new AbortController();
  private fired: { kind: TimeoutKind; ms: number } | null = null;
  /** `total` is the request's remaining budget rather than the provider's `timeoutMs`. */
  private readonly totalIsBudget: boolean;
  private readonly totalMs: number;
  /** Deadlines, as `performance.now()` values; `Infinity` when not (or no longer) armed. */
  private totalAt: number;
  private connectAt: number;
  private firstByteAt: number;
  private readonly idleMs: number;
  /** `performance.now()` when the current wait for an event began; -1 while not waiting. */
  private waitingSince = -1;
  private sawEvent = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When `timer` fires; `Infinity` when none is set. */
  private timerAt = Infinity;
  /** Rejects each `bounded` wait still pending. */
  private readonly waiting = new Set<(reason: unknown) => void>();

  /**
   * @param budget the request's time budget and what is left of it; caps `total`. A client
   * that goes away is the caller's to pass on, with `abort`.
   */
  constructor(
    private readonly settings: TimeoutSettings,
    private readonly upstream: string,
    private readonly budget: { totalMs: number; remainingMs: number },
  ) {
    const now = performance.now();
    this.totalIsBudget = budget.remainingMs < settings.totalMs;
    this.totalMs = Math.max(0, Math.min(settings.totalMs, budget.remainingMs));
    this.totalAt = now + this.totalMs;
    this.connectAt = settings.connectMs === undefined ? Infinity : now + settings.connectMs;
    this.firstByteAt = settings.firstByteMs === undefined ? Infinity : now + settings.firstByteMs;
    this.idleMs = settings.idleMs ?? Infinity;
    this.schedule(Math.min(this.totalAt, this.connectAt, this.firstByteAt), now);
  }

  /** Aborted when a timer fires or `abort` is called; pass it to the SDK call. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The response headers arrived: the connection is up. */
  readonly responseHeaders = (): void => {
    this.connectAt = Infinity;
  };

  /** About to wait for the upstream's next event (called per chunk: it only notes the time). */
  awaitingEvent(): void {
    if (!this.sawEvent || this.idleMs === Infinity) return;
    const now = performance.now();
    this.waitingSince = now;
    // The timer is usually due before this wait could turn idle; if not, bring it forward.
    if (this.timerAt > now + this.idleMs) this.schedule(now + this.idleMs, now);
  }

  /** The upstream produced an event (or ended). */
  eventArrived(): void {
    this.waitingSince = -1;
    if (this.sawEvent) return;
    this.sawEvent = true;
    this.connectAt = Infinity;
    this.firstByteAt = Infinity;
  }

  /**
   * Settles with `promise`, or rejects as soon as the attempt is aborted — so an adapter that does
   * not stop on its signal still cannot hold the request past a timeout.
   */
  bounded<T>(promise: Promise<T>): Promise<T> {
    const signal = this.controller.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    // Called per upstream event: the waits are rejected by `abort` itself, not by one abort
    // listener added and removed each time.
    return new Promise<T>((resolve, reject) => {
      const waiting = this.waiting;
      waiting.add(reject);
      promise.then(
        (v) => {
          waiting.delete(reject);
          resolve(v);
        },
        (e) => {
          waiting.delete(reject);
          reject(e);
        },
      );
    });
  }

  /** The 504 for the timeout that fired, or null when none did. */
  timeoutError(): GatewayError | null {
    if (!this.fired) return null;
    const { kind, ms } = this.fired;
    const message =
      kind === "total" && this.totalIsBudget
        ? `${this.upstream} did not finish before the request's ${this.budget.totalMs} ms time budget ran out (total timeout)`
        : `${this.upstream} ${LABEL[kind]} ${ms} ms (${kind.replace("_", "-")} timeout)`;
    return new GatewayError("upstream_timeout", message, { retryable: true });
  }

  get firedKind(): TimeoutKind | null {
    return this.fired?.kind ?? null;
  }

  abort(reason: unknown): void {
    this.controller.abort(reason);
    for (const reject of this.waiting) reject(this.controller.signal.reason);
    this.waiting.clear();
  }

  /** Stops the timer; the signal stays as it is. */
  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  /** Sets the timer for `at` (a deadline), replacing one due later. */
  private schedule(at: number, now: number): void {
    if (at === Infinity) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.onTimer, Math.max(0, at - now));
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.controller.signal.aborted) return;
    const now = performance.now();
    const idleAt = this.waitingSince < 0 ? Infinity : this.waitingSince + this.idleMs;
    // The deadline that passed first; on a tie, total before connect before first byte before idle.
    let kind: TimeoutKind | null = null;
    let at = Infinity;
    for (const [k, deadline] of [
      ["total", this.totalAt],
      ["connect", this.connectAt],
      ["first_byte", this.firstByteAt],
      ["idle", idleAt],
    ] as const) {
      if (deadline <= now + TIMER_SLACK_MS && deadline < at) {
        kind = k;
        at = deadline;
      }
    }
    if (kind === null) {
      this.schedule(Math.min(this.totalAt, this.connectAt, this.firstByteAt, idleAt), now);
      return;
    }
    const ms =
      kind === "total"
        ? this.totalMs
        : kind === "connect"
          ? this.settings.connectMs!
          : kind === "first_byte"
            ? this.settings.firstByteMs!
            : this.idleMs;
    this.fired = { kind, ms };
    this.abort(this.timeoutError()!);
  };
}
