/**
 * Which limits hold for one request: who the caller is (key name, JWT subject, optionally the
 * request's `context.userId`) and, from the config, the limits across all models and those on
 * the requested model. Each set is counted apart: per caller, and per caller and model.
 */
import type { UsageAuth } from "../usage/usage-event";
import type { CallerLimits, LimitSet, LimitsConfig } from "./limits-config";

export type LimitKind = "requests" | "tokens" | "spend";

/** Limits in force: a number, or absent for none. Spend is in nano-units of the currency. */
export interface Limits {
  requests?: number;
  tokens?: number;
  spendNano?: number;
}

export interface Scope {
  /** "all" (every model) or the model's name. */
  model: string | null;
  limits: Limits;
}

export interface Caller {
  /** Stable text naming the caller in counter keys: `key:<name>`, `sub:<subject>` or `public`, plus `/user:<id>`. */
  id: string;
  override: CallerLimits | undefined;
}

export function callerOf(config: LimitsConfig, auth: UsageAuth | null, context: Record<string, unknown> | null | undefined): Caller {
  let id: string;
  let override: CallerLimits | undefined;
  if (auth?.method === "api_key") [id, override] = [`key:${auth.keyName}`, config.keys?.[auth.keyName]];
  else if (auth?.method === "jwt") [id, override] = [`sub:${auth.subject}`, config.subjects?.[auth.subject]];
  else id = "public";
  const userId = context?.userId;
  if (
    config.perUser &&
    (typeof userId === "string" || typeof userId === "number") &&
    String(userId).length > 0 &&
    String(userId).length <= 256
  ) {
    id += `/user:${userId}`;
  }
  return { id, override };
}

/** Later sets win; a null lifts the limit. */
function merge(...sets: (LimitSet | undefined)[]): Limits {
  const merged: LimitSet = {};
  for (const set of sets) {
    if (!set) continue;
    if (set.requestsPerMinute !== undefined) merged.requestsPerMinute = set.requestsPerMinute;
    if (set.tokensPerMinute !== undefined) merged.tokensPerMinute = set.tokensPerMinute;
    if (set.spendPerDay !== undefined) merged.spendPerDay = set.spendPerDay;
  }
  const limits: Limits = {};
  if (typeof merged.requestsPerMinute === "number") limits.requests = merged.requestsPerMinute;
  if (typeof merged.tokensPerMinute === "number") limits.tokens = merged.tokensPerMinute;
  if (typeof merged.spendPerDay === "number") limits.spendNano = Math.round(merged.spendPerDay * 1e9);
  return limits;
}

const isEmpty = (l: Limits) => l.requests === undefined && l.tokens === undefined && l.spendNano === undefined;

/** The scopes with at least one limit for this caller on this model. */
export function scopesFor(config: LimitsConfig, caller: Caller, model: string): Scope[] {
  const scopes: Scope[] = [];
  const { models: _models, ...callerWide } = caller.override ?? {};
  const all = merge(config.default, callerWide);
  if (!isEmpty(all)) scopes.push({ model: null, limits: all });
  const onModel = merge(config.models?.[model], caller.override?.models?.[model]);
  if (!isEmpty(onModel)) scopes.push({ model, limits: onModel });
  return scopes;
}

/** The models with a limit of their own for this caller (for its standing). */
export function limitedModels(config: LimitsConfig, caller: Caller): string[] {
  return [...new Set([...Object.keys(config.models ?? {}), ...Object.keys(caller.override?.models ?? {})])].sort();
}
