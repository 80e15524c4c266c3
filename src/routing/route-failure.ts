/**
 * The one error a request gets when no target answered (docs/routing.md, "When every target
 * fails"). Only the last outcome of each target tried counts; targets skipped for an open circuit
 * do not:
 *
 * - nothing tried (every circuit open) → 503 `unavailable`;
 * - every target tried ended rate-limited → 429 `rate_limited`, `Retry-After` the soonest any of
 *   them gave;
 * - every target tried ended with the same code (e.g. all timed out → 504) → that error;
 * - mixed → 502 `upstream_error`, naming each target's outcome.
 */
import { GatewayError } from "../core/errors";
import type { TargetRef } from "./circuit-breaker";

export interface AttemptFailure {
  target: TargetRef;
  error: GatewayError;
}

export function routeFailure(model: string, failures: AttemptFailure[], skipped: TargetRef[]): GatewayError {
  if (failures.length === 0) {
    if (skipped.length === 0) return new GatewayError("unavailable", `no target could serve model "${model}"`);
    const keys = [...new Set(skipped.map((t) => t.key))].join(", ");
    return new GatewayError("unavailable", `every target of model "${model}" is unavailable (circuit open: ${keys})`);
  }
  const lastByTarget = new Map<string, AttemptFailure>();
  for (const f of failures) {
    lastByTarget.delete(f.target.key); // keep insertion order = order of last outcome
    lastByTarget.set(f.target.key, f);
  }
  const finals = [...lastByTarget.values()];
  const last = finals[finals.length - 1]!.error;
  const codes = new Set(finals.map((f) => f.error.code));
  if (codes.size === 1) {
    if (last.code !== "rate_limited" || finals.length === 1) return last;
    const retryAfters = finals.map((f) => f.error.retryAfter).filter((s): s is number => s !== undefined);
    return new GatewayError("rate_limited", `every target of model "${model}" is rate-limited: ${summary(finals)}`, {
      retryAfter: retryAfters.length ? Math.min(...retryAfters) : undefined,
      upstreamStatus: 429,
    });
  }
  return new GatewayError("upstream_error", `every target of model "${model}" failed: ${summary(finals)}`);
}

function summary(finals: AttemptFailure[]): string {
  return finals.map((f) => `${f.target.key}: ${f.error.code} (${f.error.message})`).join("; ");
}
