/**
 * The routing layer as one value the completion execution uses: target order, circuit state,
 * retry policy and the (abortable) wait between attempts. Built once per service; the circuit
 * state outlives mapping refreshes.
 */
import { abortableSleep, type Sleep } from "./abortable-sleep";
import { CircuitBreakers, type CircuitOptions, type CircuitState, type TargetRef } from "./circuit-breaker";
import { RetryPolicy, type RetryPolicyOptions } from "./retry-policy";
import { TargetSelector } from "./target-selector";

export interface RoutingOptions {
  retry?: Partial<RetryPolicyOptions>;
  /** `false` turns circuit breaking off. */
  circuit?: Partial<CircuitOptions> | false;
  /** Weighted choice and backoff jitter; `Math.random` by default. */
  random?: () => number;
  /** Wall clock (ms) for circuit cool-downs; `Date.now` by default. */
  now?: () => number;
  /** The wait between attempts; must reject when its signal aborts. */
  sleep?: Sleep;
}

export interface Routing {
  selector: TargetSelector;
  breakers: CircuitBreakers;
  retry: RetryPolicy;
  sleep: Sleep;
}

export function createRouting(
  options: RoutingOptions = {},
  onCircuitChange?: (target: TargetRef, state: CircuitState, previous: CircuitState) => void,
): Routing {
  const random = options.random ?? Math.random;
  return {
    selector: new TargetSelector(random),
    breakers: new CircuitBreakers(options.circuit ?? {}, options.now ?? Date.now, onCircuitChange),
    retry: new RetryPolicy(options.retry, random),
    sleep: options.sleep ?? abortableSleep,
  };
}
