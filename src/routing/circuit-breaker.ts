/**
 * Circuit breaking per target (defaults in docs/routing.md): after `failureThreshold` consecutive
 * retryable failures a target is skipped for `cooldownMs`; then one request at a time probes it
 * (half-open) and its outcome closes or re-opens the circuit. An upstream that rejects our
 * credentials opens the circuit at once.
 *
 * `CircuitBreakers` is keyed by the target key (`provider/deployment`) and owned by the service,
 * so the state survives mapping refreshes for targets whose key is unchanged.
 */
import { isOwnFailure, type GatewayError } from "../core/errors";

export type CircuitState = "closed" | "half_open" | "open";

export interface CircuitOptions {
  /** Consecutive retryable failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses requests before a probe is let through. */
  cooldownMs: number;
}

export const DEFAULT_CIRCUIT: CircuitOptions = { failureThreshold: 5, cooldownMs: 30_000 };

/** The gauge value of a state: 0 closed, 1 half-open, 2 open. */
export const CIRCUIT_STATE_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

/** What a circuit needs to know about its target (a catalog `Target` is one). */
export interface TargetRef {
  key: string;
  providerId: string;
  providerType: string;
  deploymentName: string;
}

/**
 * Leave to call a target once. Exactly one verdict counts; later calls are ignored. A pass that
 * is dropped without a verdict (the client went away) must be `abandon`ed so a probe slot is freed.
 */
export interface CircuitPass {
  /** This request is the half-open probe. */
  readonly probe: boolean;
  /** The target answered (its first chunk, or its whole JSON answer). */
  succeeded(): void;
  failed(error: GatewayError): void;
  abandon(): void;
}

export interface CircuitSnapshot {
  target: string;
  state: CircuitState;
  /** Open circuits: how long until a probe is let through. */
  probeInMs?: number;
}

type Listener = (target: TargetRef, state: CircuitState, previous: CircuitState) => void;

export class CircuitBreaker {
  private current: "closed" | "open" | "half_open" = "closed";
  private failures = 0;
  private openedAt = 0;
  private probing = false;

  constructor(
    readonly target: TargetRef,
    private readonly options: CircuitOptions,
    private readonly now: () => number,
    private readonly listener: Listener,
  ) {}

  /** The state as a reader sees it: an open circuit whose cool-down is over is half-open. */
  get state(): CircuitState {
    if (this.current === "open" && this.now() >= this.openedAt + this.options.cooldownMs) return "half_open";
    return this.current;
  }

  get probeInMs(): number {
    return Math.max(0, this.openedAt + this.options.cooldownMs - this.now());
  }

  /** Leave to call the target now, or null while the circuit refuses (open, or a probe is out). */
  tryPass(): CircuitPass | null {
    if (this.current === "closed") return this.pass(false);
    if (this.current === "open") {
      if (this.now() < this.openedAt + this.options.cooldownMs) return null;
      this.move("half_open");
    }
    if (this.probing) return null;
    this.probing = true;
    return this.pass(true);
  }

  /** A failure after the answer started (mid-stream): counts toward opening a closed circuit. */
  noteLateFailure(error: GatewayError): void {
    if (this.current !== "closed" || isOwnFailure(error)) return;
    if (error.credentialsRejected) return this.trip();
    if (error.retryable) this.countFailure();
  }

  private pass(probe: boolean): CircuitPass {
    let settled = false;
    const once = (fn: () => void) => () => {
      if (settled) return;
      settled = true;
      fn();
    };
    return {
      probe,
      succeeded: once(() => this.alive(probe)),
      failed: (error: GatewayError) => once(() => this.failed(probe, error))(),
      abandon: once(() => {
        if (probe) this.probing = false;
      }),
    };
  }

  private failed(probe: boolean, error: GatewayError): void {
    // Our own failure (a bug, a request we could not send) neither opens nor closes the circuit.
    if (isOwnFailure(error)) {
      if (probe) this.probing = false;
      return;
    }
    if (error.credentialsRejected) return this.trip();
    // A non-retryable answer (a 400 for this request's content) shows the upstream is alive.
    if (!error.retryable) return this.alive(probe);
    if (probe) return this.trip();
    if (this.current === "closed") this.countFailure();
  }

  /** Only the probe decides a half-open circuit; requests let through earlier count while closed. */
  private alive(probe: boolean): void {
    if (probe) {
      this.probing = false;
      this.failures = 0;
      this.move("closed");
    } else if (this.current === "closed") {
      this.failures = 0;
    }
  }

  private countFailure(): void {
    this.failures++;
    if (this.failures >= this.options.failureThreshold) this.trip();
  }

  private trip(): void {
    this.failures = 0;
    this.probing = false;
    this.openedAt = this.now();
    this.move("open", true);
  }

  private move(next: "closed" | "open" | "half_open", always = false): void {
    const previous = this.current;
    this.current = next;
    if (previous !== next || always) this.listener(this.target, next, previous);
  }
}

export class CircuitBreakers {
  readonly enabled: boolean;
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly options: CircuitOptions;

  /**
   * @param options `false` turns circuit breaking off: every target is always let through.
   * @param onChange called on every transition (and again when an open circuit re-opens).
   */
  constructor(
    options: Partial<CircuitOptions> | false = {},
    private readonly now: () => number = Date.now,
    private readonly onChange: Listener = () => {},
  ) {
    this.enabled = options !== false;
    this.options = { ...DEFAULT_CIRCUIT, ...(options || {}) };
  }

  tryPass(target: TargetRef): CircuitPass | null {
    if (!this.enabled) return NO_CIRCUIT_PASS;
    return this.breaker(target).tryPass();
  }

  noteLateFailure(target: TargetRef, error: GatewayError): void {
    if (this.enabled) this.breaker(target).noteLateFailure(error);
  }

  state(key: string): CircuitState {
    return this.breakers.get(key)?.state ?? "closed";
  }

  /** Keeps the state of these targets (creating closed ones), drops the rest; returns the dropped. */
  retain(targets: Iterable<TargetRef>): TargetRef[] {
    const keep = new Map<string, TargetRef>();
    for (const t of targets) keep.set(t.key, t);
    const dropped: TargetRef[] = [];
    for (const [key, breaker] of this.breakers) {
      if (!keep.has(key)) {
        this.breakers.delete(key);
        dropped.push(breaker.target);
      }
    }
    if (this.enabled) for (const t of keep.values()) this.breaker(t);
    return dropped;
  }

  /** Every known target with its current state. */
  all(): { target: TargetRef; state: CircuitState }[] {
    return [...this.breakers.values()].map((b) => ({ target: b.target, state: b.state }));
  }

  /** The circuits that are not closed, for health. */
  notClosed(): CircuitSnapshot[] {
    const out: CircuitSnapshot[] = [];
    for (const b of this.breakers.values()) {
      const state = b.state;
      if (state === "closed") continue;
      out.push(state === "open" ? { target: b.target.key, state, probeInMs: b.probeInMs } : { target: b.target.key, state });
    }
    return out;
  }

  private breaker(target: TargetRef): CircuitBreaker {
    let b = this.breakers.get(target.key);
    if (!b) {
      // Only the names: a catalog Target would keep a replaced mapping's adapter alive.
      const ref = {
        key: target.key,
        providerId: target.providerId,
        providerType: target.providerType,
        deploymentName: target.deploymentName,
      };
      b = new CircuitBreaker(ref, this.options, this.now, this.onChange);
      this.breakers.set(target.key, b);
    }
    return b;
  }
}

const NO_CIRCUIT_PASS: CircuitPass = { probe: false, succeeded() {}, failed() {}, abandon() {} };
