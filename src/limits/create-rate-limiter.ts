/** The rate limiter the settings ask for, or null: with no limits configured nothing is checked. */
import type { Settings } from "../config/settings";
import type { Logger } from "../observability/logger";
import type { Metrics } from "../observability/metrics";
import { loadLimitsConfig } from "./limits-config";
import { RateLimiter } from "./rate-limiter";

/** Throws LimitsConfigError naming the setting when the config is unreadable or wrong. */
export function createRateLimiter(settings: Settings, logger: Logger, metrics: Metrics): RateLimiter | null {
  const config = loadLimitsConfig(settings);
  if (!config) {
    if (settings.redisUrl) logger.info("REDIS_URL is set but no limits are (LIMITS or LIMITS_CONFIG_PATH): nothing is rate limited");
    return null;
  }
  // parseSettings refuses limits without REDIS_URL.
  return new RateLimiter({
    config,
    redisUrl: settings.redisUrl!,
    onRedisFailure: settings.limitsOnRedisFailure,
    redisTimeoutMs: settings.limitsRedisTimeoutMs,
    logger,
    metrics,
  });
}
