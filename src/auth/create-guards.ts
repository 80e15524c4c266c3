/** The auth guards for the configured AUTH_MODE (CONTRACT §6). */
import type { Settings } from "../config/settings";
import type { Logger } from "../observability/logger";

export async function createGuards(settings: Settings, logger: Logger): Promise<never[]> {
  if (settings.authMode !== "public") {
    throw new Error(`AUTH_MODE=${settings.authMode} is not available in this build yet`);
  }
  logger.warn("AUTH_MODE=public: the completions endpoint accepts requests without credentials");
  return [];
}
