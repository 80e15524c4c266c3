/**
 * The rate-limit headers OpenAI's clients read, from the counters of one check: for requests and
 * for tokens, the counter with the least room left (per caller or per caller and model).
 */
import type { LimitKind } from "./limit-rules";

export interface CounterState {
  kind: LimitKind;
  limit: number;
  used: number;
  /** Epoch ms when its window ends. */
  resetAt: number;
}

/** `1s`, `59s`: whole seconds, rounded up (OpenAI's clients parse this duration form). */
function duration(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}

export function limitHeaders(counters: CounterState[], now: number): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [kind, suffix] of [
    ["requests", "requests"],
    ["tokens", "tokens"],
  ] as const) {
    let tightest: CounterState | null = null;
    for (const c of counters) {
      if (c.kind !== kind) continue;
      if (!tightest || c.limit - c.used < tightest.limit - tightest.used) tightest = c;
    }
    if (!tightest) continue;
    headers[`x-ratelimit-limit-${suffix}`] = String(tightest.limit);
    headers[`x-ratelimit-remaining-${suffix}`] = String(Math.max(0, tightest.limit - tightest.used));
    headers[`x-ratelimit-reset-${suffix}`] = duration(tightest.resetAt - now);
  }
  return headers;
}
