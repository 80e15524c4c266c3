/**
 * The signing keys behind `JWT_JWKS_URL` (docs/auth.md, "JWKS fetching"), cached and refreshed.
 *
 * Not jose's `createRemoteJWKSet`, whose `cooldownDuration` only counts from the last
 * *successful* fetch and whose expired cache blocks on a refetch: while the issuer's endpoint
 * is down, every request would refetch, and once `cacheMaxAge` passed every token would fail
 * even though the keys in hand are still good. Here:
 * - at most one fetch per cooldown (30 s), successful or not, whatever asked for it;
 * - an unknown `kid` (a key rotated in) triggers that fetch; callers arriving while it runs wait for it;
 * - keys older than `maxAgeMs` are refreshed in the background and used meanwhile;
 * - a failed or invalid fetch keeps the keys loaded before.
 * jose's `createLocalJWKSet` still picks the key (kid, alg, kty, use) and imports it.
 */
import { createLocalJWKSet, errors, type FlattenedJWSInput, type JWSHeaderParameters } from "jose";
import type { Logger } from "../observability/logger";

export interface JwksKeySetOptions {
  /** Least time between two fetches. */
  cooldownMs: number;
  /** Keys older than this are refreshed in the background. */
  maxAgeMs: number;
  timeoutMs: number;
  now: () => number;
}

export const JWKS_DEFAULTS: JwksKeySetOptions = {
  cooldownMs: 30_000,
  maxAgeMs: 10 * 60_000,
  timeoutMs: 5_000,
  now: () => performance.now(),
};

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

export class JwksKeySet {
  private readonly options: JwksKeySetOptions;
  private local: LocalKeySet | null = null;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private pending: Promise<boolean> | null = null;

  constructor(
    readonly url: string,
    private readonly logger: Logger,
    options: Partial<JwksKeySetOptions> = {},
  ) {
    this.options = { ...JWKS_DEFAULTS, ...options };
  }

  get loaded(): boolean {
    return this.local !== null;
  }

  /** Fetches now (or joins the fetch under way); true when fresh keys were installed. */
  refresh(): Promise<boolean> {
    this.pending ??= this.fetchKeys().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  /** A key resolver for jose's `jwtVerify`. */
  readonly getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> => {
    if (this.local === null) await this.refreshIfAllowed();
    else if (this.options.now() - this.fetchedAt >= this.options.maxAgeMs && this.mayFetch()) void this.refresh();

    const local = this.local;
    if (local === null) throw new errors.JWKSNoMatchingKey("no JWKS loaded");
    try {
      return await local(header, token);
    } catch (e) {
      if (!(e instanceof errors.JWKSNoMatchingKey)) throw e;
      await this.refreshIfAllowed();
      if (this.local === local || this.local === null) throw e;
      return this.local(header, token);
    }
  };

  private mayFetch(): boolean {
    return this.options.now() - this.attemptedAt >= this.options.cooldownMs;
  }

  private async refreshIfAllowed(): Promise<void> {
    if (this.pending) await this.pending;
    else if (this.mayFetch()) await this.refresh();
  }

  private async fetchKeys(): Promise<boolean> {
    this.attemptedAt = this.options.now();
    try {
      const response = await fetch(this.url, {
        headers: { accept: "application/jwk-set+json, application/json" },
        // A redirect could hand key selection to another host; the operator names the URL.
        redirect: "manual",
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
      const jwks = (await response.json()) as { keys?: unknown[] };
      const local = createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]);
      this.local = local;
      this.fetchedAt = this.options.now();
      this.logger.info("JWKS loaded", { url: this.url, keys: jwks.keys?.length ?? 0 });
      return true;
    } catch (e) {
      this.logger.warn("JWKS fetch failed; keeping the keys loaded before", {
        url: this.url,
        error: (e as Error).message,
        keysLoaded: this.local !== null,
      });
      return false;
    }
  }
}
