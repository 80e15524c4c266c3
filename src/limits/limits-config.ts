/**
 * The rate limits and budgets, from `LIMITS` (JSON) or the file `LIMITS_CONFIG_PATH` names:
 * defaults for every caller, limits per model, and overrides per API key name or JWT subject. A
 * limit set to null lifts the one it would inherit. The config is ours, not llm-core's: an unknown
 * field is a mistake and stops the start.
 */
import { readFileSync } from "node:fs";
import { Type as T, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

const closed = { additionalProperties: false } as const;
const count = T.Union([T.Integer({ minimum: 0 }), T.Null()]);

const LimitSetSchema = T.Object(
  {
    requestsPerMinute: T.Optional(count),
    /** Input (estimated before the call) plus output tokens. */
    tokensPerMinute: T.Optional(count),
    /** In `currency`, at the mapping's prices, per UTC day. */
    spendPerDay: T.Optional(T.Union([T.Number({ minimum: 0 }), T.Null()])),
  },
  closed,
);

const CallerLimitsSchema = T.Object(
  {
    ...LimitSetSchema.properties,
    /** This caller's limits on single models, in place of the `models` entry. */
    models: T.Optional(T.Record(T.String({ minLength: 1 }), LimitSetSchema)),
  },
  closed,
);

export const LimitsConfigSchema = T.Object(
  {
    /** Every caller, across all models. */
    default: T.Optional(LimitSetSchema),
    /** Every caller, on one model (counted per caller and model). */
    models: T.Optional(T.Record(T.String({ minLength: 1 }), LimitSetSchema)),
    /** Overrides by API key name. */
    keys: T.Optional(T.Record(T.String({ minLength: 1 }), CallerLimitsSchema)),
    /** Overrides by JWT subject. */
    subjects: T.Optional(T.Record(T.String({ minLength: 1 }), CallerLimitsSchema)),
    /** Count each `context.userId` apart under its key or subject (the key's limits hold per user). */
    perUser: T.Optional(T.Boolean()),
    /** The currency of `spendPerDay`; costs in another currency are not counted. Default "USD". */
    currency: T.Optional(T.String({ pattern: "^[A-Z]{3}$" })),
  },
  closed,
);

export type LimitSet = Static<typeof LimitSetSchema>;
export type CallerLimits = Static<typeof CallerLimitsSchema>;
export type LimitsConfig = Static<typeof LimitsConfigSchema>;

export class LimitsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LimitsConfigError";
  }
}

/** Parses and checks a limits config; the error names the setting and the bad path. */
export function parseLimitsConfig(text: string, source: string): LimitsConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new LimitsConfigError(`${source}: not valid JSON (${(e as Error).message})`);
  }
  const problems = [...Value.Errors(LimitsConfigSchema, value)].map(
    (e) => `${e.path.replace(/^\//, "").replace(/\//g, ".") || "(root)"}: ${e.message}`,
  );
  if (problems.length) throw new LimitsConfigError(`${source}: ${[...new Set(problems)].slice(0, 5).join("; ")}`);
  return value as LimitsConfig;
}

/** The config `LIMITS` or `LIMITS_CONFIG_PATH` gives; null when neither is set. */
export function loadLimitsConfig(sources: { limitsJson?: string; limitsConfigPath?: string }): LimitsConfig | null {
  if (sources.limitsJson) return parseLimitsConfig(sources.limitsJson, "LIMITS");
  if (!sources.limitsConfigPath) return null;
  let text: string;
  try {
    text = readFileSync(sources.limitsConfigPath, "utf8");
  } catch (e) {
    throw new LimitsConfigError(
      `LIMITS_CONFIG_PATH=${sources.limitsConfigPath}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  return parseLimitsConfig(text, `LIMITS_CONFIG_PATH=${sources.limitsConfigPath}`);
}
