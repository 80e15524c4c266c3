/** The environment settings (docs/configuration.md), parsed and validated once at start. */
import type { LogLevel } from "../observability/logger";

export type AuthMode = "public" | "api_key" | "jwt" | "api_key_or_jwt";

export interface Settings {
  port: number;
  host: string;
  mappingPath?: string;
  llmCoreUrl?: string;
  llmCoreApiKey?: string;
  configRefreshIntervalMs: number;
  rabbitmqUrl?: string;
  rabbitmqExchange: string;
  rabbitmqRoutingKey: string;
  eventsSpoolDir: string;
  eventsIncludeMessages: boolean;
  /** Usage events held in memory before they overflow to the spool. */
  eventsMemoryQueueMax: number;
  /** Usage events per confirmed publish batch. */
  eventsPublishBatchSize: number;
  /** Caps of a usage event's unbounded fields, in bytes of JSON. */
  eventsMaxMessagesBytes: number;
  eventsMaxErrorBytes: number;
  eventsMaxFieldBytes: number;
  authMode: AuthMode;
  apiKeys: string[];
  jwtSecret?: string;
  jwtJwksUrl?: string;
  jwtIssuer?: string;
  jwtAudience?: string;
  logLevel: LogLevel;
  bodyLimitBytes: number;
  /** Deepest nesting of objects and arrays accepted in a request body. */
  bodyMaxDepth: number;
  /** Seconds an idle keep-alive connection, or a request body still arriving, is given. */
  httpIdleTimeoutS: number;
  shutdownGraceMs: number;
  /** Rate limits and budgets: JSON in `LIMITS`, or a file named by `LIMITS_CONFIG_PATH`. */
  limitsJson?: string;
  limitsConfigPath?: string;
  /** Where the limits are counted, shared by all replicas. */
  redisUrl?: string;
  limitsOnRedisFailure: "allow" | "deny";
  limitsRedisTimeoutMs: number;
}

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SettingsError";
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new SettingsError(`${name}="${raw}" is invalid: expected an integer from ${min} to ${max}`);
  }
  return n;
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (!(values as readonly string[]).includes(raw)) {
    throw new SettingsError(`${name}="${raw}" is invalid: expected one of ${values.join(", ")}`);
  }
  return raw as T;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new SettingsError(`${name}="${raw}" is invalid: expected true or false`);
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = str(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new SettingsError(`${name} is invalid: not a URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new SettingsError(`${name} is invalid: expected a ${protocols.join(" or ")} URL`);
  }
  return raw;
}

export function parseSettings(env: Env): Settings {
  const limitsJson = str(env, "LIMITS");
  const limitsConfigPath = str(env, "LIMITS_CONFIG_PATH");
  const redisUrl = url(env, "REDIS_URL", ["redis:", "rediss:", "valkey:", "valkeys:"]);
  if ((limitsJson || limitsConfigPath) && !redisUrl) {
    throw new SettingsError(
      `${limitsJson ? "LIMITS" : "LIMITS_CONFIG_PATH"} is set but REDIS_URL is not: rate limits and budgets are counted in Redis, shared by every replica`,
    );
  }
  const authMode = oneOf(env, "AUTH_MODE", ["public", "api_key", "jwt", "api_key_or_jwt"] as const, "public");
  return {
    port: int(env, "PORT", 4000, 0, 65535),
    host: str(env, "HOST") ?? "0.0.0.0",
    mappingPath: str(env, "LOCAL_MODEL_PROVIDERS_CONFIG_PATH"),
    llmCoreUrl: url(env, "LLM_CORE_URL", ["http:", "https:"]),
    llmCoreApiKey: str(env, "LLM_CORE_API_KEY"),
    configRefreshIntervalMs: int(env, "CONFIG_REFRESH_INTERVAL_MS", 0, 0, 86_400_000),
    rabbitmqUrl: url(env, "RABBITMQ_URL", ["amqp:", "amqps:"]),
    rabbitmqExchange: str(env, "RABBITMQ_EXCHANGE") ?? "llm.transactions",
    rabbitmqRoutingKey: str(env, "RABBITMQ_ROUTING_KEY") ?? "completion.transaction",
    eventsSpoolDir: str(env, "EVENTS_SPOOL_DIR") ?? "./var/spool",
    eventsIncludeMessages: bool(env, "EVENTS_INCLUDE_MESSAGES", true),
    eventsMemoryQueueMax: int(env, "EVENTS_MEMORY_QUEUE_MAX", 10_000, 1, 10_000_000),
    eventsPublishBatchSize: int(env, "EVENTS_PUBLISH_BATCH_SIZE", 250, 1, 10_000),
    eventsMaxMessagesBytes: int(env, "EVENTS_MAX_MESSAGES_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024),
    eventsMaxErrorBytes: int(env, "EVENTS_MAX_ERROR_BYTES", 8 * 1024, 256, 1024 * 1024),
    eventsMaxFieldBytes: int(env, "EVENTS_MAX_FIELD_BYTES", 64 * 1024, 1024, 16 * 1024 * 1024),
    authMode,
    apiKeys: (str(env, "API_KEYS") ?? "")
      .split(",")
      .map((k) => k.trim())
      .filter(Boolean),
    jwtSecret: str(env, "JWT_SECRET"),
    jwtJwksUrl: url(env, "JWT_JWKS_URL", ["http:", "https:"]),
    jwtIssuer: str(env, "JWT_ISSUER"),
    jwtAudience: str(env, "JWT_AUDIENCE"),
    logLevel: oneOf(env, "LOG_LEVEL", ["debug", "info", "warn", "error"] as const, "info"),
    bodyLimitBytes: int(env, "BODY_LIMIT_BYTES", 10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    bodyMaxDepth: int(env, "BODY_MAX_DEPTH", 64, 8, 1000),
    // Bun's own bound is 255 s.
    httpIdleTimeoutS: int(env, "HTTP_IDLE_TIMEOUT_S", 65, 1, 255),
    shutdownGraceMs: int(env, "SHUTDOWN_GRACE_MS", 30_000, 0, 600_000),
    limitsJson,
    limitsConfigPath,
    redisUrl,
    limitsOnRedisFailure: oneOf(env, "LIMITS_ON_REDIS_FAILURE", ["allow", "deny"] as const, "allow"),
    limitsRedisTimeoutMs: int(env, "LIMITS_REDIS_TIMEOUT_MS", 500, 1, 60_000),
  };
}
