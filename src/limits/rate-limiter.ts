/**
 * Rate limits and budgets that hold across replicas: requests and tokens per minute, spend per
 * UTC day, per caller and per caller and model, counted in Redis by one atomic script per request.
 *
 * Tokens are counted before the call from the input's estimate and corrected after it to the real
 * input plus output; spend is counted after it, at the mapping's prices. A call in flight is never
 * cut for a limit: the correction may take a counter past its limit, and the next request waits.
 */
import { Counter, Gauge } from "prom-client";
import { GatewayError } from "../core/errors";
import type { CompletionRequest } from "../core/request";
import { estimateInputTokens } from "../tokens/token-estimate";
import type { Cost } from "../cost/cost-of-usage";
import type { Logger } from "../observability/logger";
import type { Metrics } from "../observability/metrics";
import type { UsageAuth } from "../usage/usage-event";
import { limitHeaders, type CounterState } from "./limit-headers";
import { callerOf, limitedModels, scopesFor, type Caller, type LimitKind, type Scope } from "./limit-rules";
import { CHECK, READ, SETTLE } from "./limit-scripts";
import type { LimitsConfig } from "./limits-config";
import { RedisLink, RedisUnavailable } from "./redis-link";

export type RedisFailureMode = "allow" | "deny";

export interface RateLimiterOptions {
  config: LimitsConfig;
  redisUrl: string;
  onRedisFailure: RedisFailureMode;
  /** Longest wait for Redis per request. */
  redisTimeoutMs: number;
  logger: Logger;
  metrics: Metrics;
  /** Epoch milliseconds; tests move time. */
  now?: () => number;
}

/** A request let through: `settle` corrects its counters once its usage is known. */
export interface Admission {
  settle(usage: { inputTokens: number; outputTokens: number; cost: Cost | null }): void;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Counters outlive their window by this, for settlements of calls still running when it ended. */
const GRACE_MS = { requests: 0, tokens: 10 * MINUTE_MS, spend: 60 * MINUTE_MS };
const KIND_CODE: Record<LimitKind, string> = { requests: "r", tokens: "t", spend: "s" };

interface CounterRef extends CounterState {
  key: string;
  scope: Scope;
  expireMs: number;
}

export class RateLimiter {
  private readonly link: RedisLink;
  private readonly currency: string;
  private readonly now: () => number;
  private readonly rateLimited: Counter<"scope" | "limit">;
  private readonly unchecked: Counter<"outcome">;

  constructor(private readonly options: RateLimiterOptions) {
    const registers = [options.metrics.registry];
    this.currency = options.config.currency ?? "USD";
    this.now = options.now ?? Date.now;
    this.rateLimited = new Counter({
      name: "completion_rate_limited_total",
      // Not by the requested model: it is the client's text, checked only later; the scope is from the config.
      help: "Requests refused for a rate limit or budget, by the limit's scope (all, or a limited model) and kind (requests, tokens, spend)",
      labelNames: ["scope", "limit"] as const,
      registers,
    });
    this.unchecked = new Counter({
      name: "completion_limits_unchecked_total",
      help: "Requests whose limits could not be checked (Redis unreachable), by what was done: allowed or denied",
      labelNames: ["outcome"] as const,
      registers,
    });
    const redisUp = new Gauge({ name: "completion_limits_redis_up", help: "Whether the limits' Redis answers (1) or not (0)", registers });
    this.link = new RedisLink({
      url: options.redisUrl,
      timeoutMs: options.redisTimeoutMs,
      logger: options.logger,
      whenDown:
        options.onRedisFailure === "allow"
          ? "requests are let through unchecked (LIMITS_ON_REDIS_FAILURE=allow)"
          : "requests are refused with 503 (LIMITS_ON_REDIS_FAILURE=deny)",
      onStateChange: (up) => redisUp.set(up ? 1 : 0),
    });
  }

  /**
   * Checks and counts one request; resolves with its admission (null when no limit applies, or
   * Redis is away and the mode allows). Throws 429 `rate_limited` over a limit, 503 when Redis is
   * away and the mode denies.
   */
  async admit(auth: UsageAuth | null, request: CompletionRequest): Promise<Admission | null> {
    const caller = callerOf(this.options.config, auth, request.context);
    const scopes = scopesFor(this.options.config, caller, request.model);
    if (scopes.length === 0) return null;
    const now = this.now();
    const counters = this.countersOf(caller, scopes, now);
    const estimate = counters.some((c) => c.kind === "tokens") ? estimateInputTokens(request) : 0;
    let reply: number[];
    try {
      reply = (await this.link.run(
        CHECK,
        counters.map((c) => c.key),
        [estimate, ...counters.flatMap((c) => [KIND_CODE[c.kind], c.limit, c.expireMs])],
      )) as number[];
    } catch (e) {
      if (!(e instanceof RedisUnavailable)) throw e;
      this.unchecked.inc({ outcome: this.options.onRedisFailure === "allow" ? "allowed" : "denied" });
      if (this.options.onRedisFailure === "allow") return null;
      throw new GatewayError("unavailable", "rate limits cannot be checked right now; try again shortly", { retryAfter: 1 });
    }
    counters.forEach((c, i) => (c.used = Number(reply[i + 1])));
    if (reply[0] !== 1) throw this.refusal(counters, estimate, now);
    return this.admission(counters, estimate);
  }

  private admission(counters: CounterRef[], estimate: number): Admission | null {
    const tokens = counters.filter((c) => c.kind === "tokens");
    const spend = counters.filter((c) => c.kind === "spend");
    if (!tokens.length && !spend.length) return null;
    let settled = false;
    return {
      settle: ({ inputTokens, outputTokens, cost }) => {
        if (settled) return;
        settled = true;
        const corrections: [CounterRef, number][] = [];
        const tokenDelta = inputTokens + outputTokens - estimate;
        if (tokenDelta !== 0) for (const c of tokens) corrections.push([c, tokenDelta]);
        const spent = cost && cost.currency === this.currency ? Math.round(cost.total * 1e9) : 0;
        if (spent > 0) for (const c of spend) corrections.push([c, spent]);
        if (!corrections.length) return;
        this.link
          .run(
            SETTLE,
            corrections.map(([c]) => c.key),
            corrections.flatMap(([c, amount]) => [amount, c.expireMs]),
          )
          .catch((e) => {
            if (!(e instanceof RedisUnavailable)) this.options.logger.error("rate limits: settling a request's usage failed", { error: e });
          });
      },
    };
  }

  private countersOf(caller: Caller, scopes: Scope[], now: number): CounterRef[] {
    const counters: CounterRef[] = [];
    for (const scope of scopes) {
      const where = scope.model === null ? "*" : `m:${scope.model}`;
      const add = (kind: LimitKind, limit: number | undefined, windowMs: number) => {
        if (limit === undefined) return;
        const window = Math.floor(now / windowMs);
        const resetAt = (window + 1) * windowMs;
        counters.push({
          key: `climits:{${caller.id}}:${where}:${KIND_CODE[kind]}:${window}`,
          kind,
          limit,
          used: 0,
          resetAt,
          scope,
          expireMs: resetAt - now + GRACE_MS[kind] + 1000,
        });
      };
      add("requests", scope.limits.requests, MINUTE_MS);
      add("tokens", scope.limits.tokens, MINUTE_MS);
      add("spend", scope.limits.spendNano, DAY_MS);
    }
    return counters;
  }

  private refusal(counters: CounterRef[], estimate: number, now: number): GatewayError {
    const full = counters.filter(
      (c) =>
        (c.kind === "requests" && c.used + 1 > c.limit) ||
        (c.kind === "tokens" && c.used + estimate > c.limit) ||
        (c.kind === "spend" && c.used >= c.limit),
    );
    const blocked = full.length ? full : counters; // the script's verdict stands
    const retryAfter = Math.max(1, ...blocked.map((c) => Math.ceil((c.resetAt - now) / 1000)));
    for (const c of blocked) this.rateLimited.inc({ scope: c.scope.model ?? "all", limit: c.kind });
    const first = blocked[0]!;
    const what =
      first.kind === "requests"
        ? `${first.limit} requests per minute`
        : first.kind === "tokens"
          ? `${first.limit} tokens per minute (this request's input is about ${estimate})`
          : `a spend of ${first.limit / 1e9} ${this.currency} per day`;
    const on = first.scope.model === null ? "across all models" : `on model ${first.scope.model}`;
    return new GatewayError("rate_limited", `rate limit reached: ${what} ${on}; retry in ${retryAfter} s`, {
      retryAfter,
      headers: limitHeaders(counters, now),
    });
  }

  /** The caller's limits and what is left of them now, across all models and per limited model. */
  async standing(auth: UsageAuth | null, context: Record<string, unknown> | null): Promise<Record<string, unknown>> {
    const config = this.options.config;
    const caller = callerOf(config, auth, context);
    const scopes = [
      ...scopesFor(config, caller, "\u0000").filter((s) => s.model === null),
      ...limitedModels(config, caller).flatMap((m) => scopesFor(config, caller, m).filter((s) => s.model !== null)),
    ];
    const now = this.now();
    const counters = this.countersOf(caller, scopes, now);
    if (counters.length) {
      let reply: number[];
      try {
        reply = (await this.link.run(
          READ,
          counters.map((c) => c.key),
          [],
        )) as number[];
      } catch (e) {
        if (e instanceof RedisUnavailable)
          throw new GatewayError("unavailable", "rate limits cannot be read right now; try again shortly", { retryAfter: 1 });
        throw e;
      }
      counters.forEach((c, i) => (c.used = Number(reply[i])));
    }
    const describe = (scope: Scope) => {
      const out: Record<string, unknown> = { model: scope.model };
      for (const c of counters.filter((x) => x.scope === scope)) {
        const resetSeconds = Math.ceil((c.resetAt - now) / 1000);
        if (c.kind === "spend") {
          out.spendPerDay = {
            limit: c.limit / 1e9,
            spent: c.used / 1e9,
            remaining: Math.max(0, c.limit - c.used) / 1e9,
            currency: this.currency,
            resetSeconds,
          };
        } else {
          out[c.kind === "requests" ? "requestsPerMinute" : "tokensPerMinute"] = {
            limit: c.limit,
            used: c.used,
            remaining: Math.max(0, c.limit - c.used),
            resetSeconds,
          };
        }
      }
      return out;
    };
    return { caller: caller.id, limits: scopes.map(describe) };
  }

  health(): Record<string, unknown> {
    const state = this.link.state();
    return { status: state.redis === "down" ? "degraded" : "ok", ...state, onRedisFailure: this.options.onRedisFailure };
  }

  close(): void {
    this.link.close();
  }
}
