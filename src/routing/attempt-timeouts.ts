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

const LABEL: Record<TimeoutKind, string> = {
  connect: "sent no response headers within",
  first_byte: "sent nothing within",
  idle: "went silent for",
  total: "did not finish within",
};

export class AttemptTimeouts {
  private readonly controller = new AbortController();
  private fired: { kind: TimeoutKind; ms: number } | null = null;
  /** `total` is the request's remaining budget rather than the provider's `timeoutMs`. */
  private readonly totalIsBudget: boolean;
  private readonly timers: Partial<Record<TimeoutKind, ReturnType<typeof setTimeout>>> = {};
  private sawEvent = false;
  /** `performance.now()` when the current wait for an event began; -1 while not waiting. */
  private waitingSince = -1;
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
    this.totalIsBudget = budget.remainingMs < settings.totalMs;
    this.arm("total", Math.max(0, Math.min(settings.totalMs, budget.remainingMs)));
    if (settings.connectMs !== undefined) this.arm("connect", settings.connectMs);
    if (settings.firstByteMs !== undefined) this.arm("first_byte", settings.firstByteMs);
  }

  /** Aborted when a timer fires or `abort` is called; pass it to the SDK call. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The response headers arrived: the connection is up. */
  readonly responseHeaders = (): void => this.clear("connect");

  /**
   * About to wait for the upstream's next event. Called per chunk, so it only notes the time: one
   * idle timer runs at a time and, when it fires, checks how long the current wait has lasted.
   */
  awaitingEvent(): void {
    if (!this.sawEvent || this.settings.idleMs === undefined) return;
    this.waitingSince = performance.now();
    if (this.timers.idle === undefined) this.armIdle(this.settings.idleMs);
  }

  /** The upstream produced an event (or ended). */
  eventArrived(): void {
    this.waitingSince = -1;
    if (this.sawEvent) return;
    this.sawEvent = true;
    this.clear("connect");
    this.clear("first_byte");
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

  /** Stops every timer; the signal stays as it is. */
  dispose(): void {
    for (const kind of Object.keys(this.timers) as TimeoutKind[]) this.clear(kind);
  }

  private arm(kind: TimeoutKind, ms: number): void {
    this.clear(kind);
    this.timers[kind] = setTimeout(() => {
      if (this.controller.signal.aborted) return;
      this.fired = { kind, ms };
      const error = this.timeoutError()!;
      this.abort(error);
    }, ms);
  }

  private armIdle(ms: number): void {
    const idleMs = this.settings.idleMs!;
    this.timers.idle = setTimeout(() => {
      delete this.timers.idle;
      if (this.controller.signal.aborted || this.waitingSince < 0) return; // not waiting: re-armed by the next wait
      const waited = performance.now() - this.waitingSince;
      if (waited < idleMs) return this.armIdle(idleMs - waited);
      this.fired = { kind: "idle", ms: idleMs };
      this.abort(this.timeoutError()!);
    }, ms);
  }

  private clear(kind: TimeoutKind): void {
    const timer = this.timers[kind];
    if (timer !== undefined) {
      clearTimeout(timer);
      delete this.timers[kind];
    }
  }
}
