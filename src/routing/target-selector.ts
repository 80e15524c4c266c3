/**
 * The order in which a model's targets are tried (the model's `strategy`: `fallback` or `weighted`). Targets whose circuit
 * is open are skipped when their turn comes (`CircuitBreakers.tryPass`), not here, so a half-open
 * probe is claimed only by the request that actually calls the target.
 */
import type { ModelRoute, Target } from "../catalog/model-catalog";

export class TargetSelector {
  constructor(private readonly random: () => number = Math.random) {}

  /** `fallback`: in order. `weighted`: one picked by weight first, then the rest by weight. */
  order(route: ModelRoute): Target[] {
    if (route.strategy === "fallback" || route.targets.length < 2) return route.targets;
    const pool = route.targets.slice();
    const ordered: Target[] = [];
    while (pool.length) {
      let total = 0;
      for (const t of pool) total += t.weight;
      let pick = this.random() * total;
      let i = 0;
      for (; i < pool.length - 1; i++) {
        pick -= pool[i]!.weight;
        if (pick < 0) break;
      }
      ordered.push(pool.splice(i, 1)[0]!);
    }
    return ordered;
  }
}
