/**
 * The auth guard for the configured AUTH_MODE (docs/auth.md); in public mode, one that lets
 * everyone in with `auth: null`. A mode whose settings cannot work
 * throws an AuthConfigError with one line naming the problem; start-up stops on it.
 */
import type { Settings } from "../config/settings";
import type { Logger } from "../observability/logger";
import { ApiKeyVerifier, splitApiKeyEntry } from "./api-key-verifier";
import { AuthConfigError } from "./auth-config-error";
import { authGuard, noAuthGuard, type AuthGuard } from "./auth-guard";
import { apiKeyAuthentication, apiKeyOrJwtAuthentication, jwtAuthentication } from "./authenticate-request";
import { JwksKeySet, type JwksKeySetOptions } from "./jwks-key-set";
import { JwtVerifier, MIN_SECRET_BYTES } from "./jwt-verifier";

export interface GuardOptions {
  /** JWKS timings; tests shorten the 30 s cooldown. */
  jwks?: Partial<JwksKeySetOptions>;
}

/** Shorter plain keys are guessable; they still work, with a warning. */
const SHORT_API_KEY = 16;

export async function createGuard(settings: Settings, logger: Logger, options: GuardOptions = {}): Promise<AuthGuard> {
  const mode = settings.authMode;
  warnAboutUnusedSettings(settings, logger);
  switch (mode) {
    case "public":
      logger.warn("AUTH_MODE=public: the completions endpoint accepts requests without credentials");
      return noAuthGuard(logger);
    case "api_key":
      return authGuard(apiKeyAuthentication(apiKeysFrom(settings, logger)), logger);
    case "jwt":
      return authGuard(jwtAuthentication(await jwtVerifierFrom(settings, logger, options)), logger);
    case "api_key_or_jwt": {
      const keys = apiKeysFrom(settings, logger);
      const verifier = await jwtVerifierFrom(settings, logger, options);
      return authGuard(apiKeyOrJwtAuthentication(keys, verifier), logger);
    }
  }
}

function apiKeysFrom(settings: Settings, logger: Logger): ApiKeyVerifier {
  if (settings.apiKeys.length === 0) {
    throw new AuthConfigError(
      `AUTH_MODE=${settings.authMode} needs API_KEYS: comma-separated keys or sha256:<hex> digests, each optionally name=…`,
    );
  }
  const keys = ApiKeyVerifier.fromEntries(settings.apiKeys);
  settings.apiKeys.forEach((entry, i) => {
    const { key } = splitApiKeyEntry(entry);
    if (!key.startsWith("sha256:") && key.length < SHORT_API_KEY) {
      logger.warn(`API_KEYS entry ${i + 1} is shorter than ${SHORT_API_KEY} characters; use long random keys`);
    }
  });
  logger.info("auth: API keys loaded", { mode: settings.authMode, keys: keys.size });
  return keys;
}

async function jwtVerifierFrom(settings: Settings, logger: Logger, options: GuardOptions): Promise<JwtVerifier> {
  const { jwtSecret: secret, jwtJwksUrl: jwksUrl } = settings;
  if (secret === undefined && jwksUrl === undefined) {
    throw new AuthConfigError(`AUTH_MODE=${settings.authMode} needs JWT_SECRET (HS256) or JWT_JWKS_URL (RS/ES keys)`);
  }
  if (secret !== undefined && new TextEncoder().encode(secret).length < MIN_SECRET_BYTES) {
    throw new AuthConfigError(`JWT_SECRET is too short: HS256 needs at least ${MIN_SECRET_BYTES} bytes`);
  }
  let keySet: JwksKeySet | undefined;
  if (jwksUrl !== undefined) {
    const { protocol, hostname } = new URL(jwksUrl);
    if (protocol === "http:" && !["localhost", "127.0.0.1", "[::1]"].includes(hostname)) {
      logger.warn("JWT_JWKS_URL is plain http: whoever can alter the response can mint accepted tokens");
    }
    if (settings.jwtAudience === undefined) {
      logger.warn("JWT_JWKS_URL without JWT_AUDIENCE accepts tokens its issuer signed for any audience");
    }
    keySet = new JwksKeySet(jwksUrl, logger, options.jwks);
    // Warm the cache; an issuer that is down now must not keep the service from starting.
    if (!(await keySet.refresh())) logger.warn("JWKS not loaded at start: JWKS-signed tokens fail until it can be fetched");
  }
  const verifier = await JwtVerifier.create({ secret, keySet, issuer: settings.jwtIssuer, audience: settings.jwtAudience });
  logger.info("auth: JWT verification ready", {
    mode: settings.authMode,
    hs256: secret !== undefined,
    jwksUrl: jwksUrl ?? null,
    issuer: settings.jwtIssuer ?? null,
    audience: settings.jwtAudience ?? null,
  });
  return verifier;
}

/** Settings the mode ignores are most likely a mistake in the other direction: say so. */
function warnAboutUnusedSettings(settings: Settings, logger: Logger): void {
  const usesKeys = settings.authMode === "api_key" || settings.authMode === "api_key_or_jwt";
  const usesJwt = settings.authMode === "jwt" || settings.authMode === "api_key_or_jwt";
  const unused: string[] = [];
  if (!usesKeys && settings.apiKeys.length > 0) unused.push("API_KEYS");
  if (!usesJwt) {
    if (settings.jwtSecret !== undefined) unused.push("JWT_SECRET");
    if (settings.jwtJwksUrl !== undefined) unused.push("JWT_JWKS_URL");
    if (settings.jwtIssuer !== undefined) unused.push("JWT_ISSUER");
    if (settings.jwtAudience !== undefined) unused.push("JWT_AUDIENCE");
  }
  if (unused.length > 0) logger.warn(`AUTH_MODE=${settings.authMode} ignores ${unused.join(", ")}`);
}
