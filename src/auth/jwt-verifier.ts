/**
 * Bearer JWTs (AUTH_MODE=jwt, docs/auth.md). Each key source accepts only its own algorithms, chosen before any
 * key is touched: `JWT_SECRET` verifies HS256 and nothing else (through @elysiajs/jwt), the JWKS
 * verifies RS256/384/512 and ES256/384/512 and nothing else (through jose). So `alg: none`, an
 * HS256 token "signed" with a public key, or an RS token when only a secret is configured never
 * reach a verifier.
 */
import { jwt } from "@elysiajs/jwt";
import { decodeProtectedHeader, jwtVerify, type JWTVerifyOptions } from "jose";
import { accept, reject, type AuthVerdict } from "./auth-verdict";
import type { JwksKeySet } from "./jwks-key-set";

/** Tolerated clock difference with the issuer, for `exp` and `nbf`. */
export const CLOCK_SKEW_SECONDS = 30;
export const SECRET_ALGORITHMS = ["HS256"];
export const JWKS_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"];
/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash. */
export const MIN_SECRET_BYTES = 32;

export interface JwtVerifierOptions {
  secret?: string;
  keySet?: JwksKeySet;
  issuer?: string;
  audience?: string;
}

type Hs256 = ReturnType<typeof jwt<"hs256">>["decorator"]["hs256"];

export class JwtVerifier {
  private readonly jwksAlgorithms = new Set(JWKS_ALGORITHMS);

  private constructor(
    private readonly hs256: Hs256 | null,
    private readonly keySet: JwksKeySet | null,
    private readonly rules: JWTVerifyOptions,
  ) {}

  static async create(options: JwtVerifierOptions): Promise<JwtVerifier> {
    let hs256: Hs256 | null = null;
    if (options.secret !== undefined) {
      // Imported once as a verify-only HMAC key, so no request pays for the import.
      const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(options.secret), { name: "HMAC", hash: "SHA-256" }, false, [
        "verify",
      ]);
      // @elysiajs/jwt is a plugin; its verifier is taken from the decoration it would add, so
      // that one guard plugin owns the check whatever the key source.
      hs256 = jwt({ name: "hs256", secret: key, alg: "HS256" }).decorator.hs256;
    }
    return new JwtVerifier(hs256, options.keySet ?? null, {
      clockTolerance: CLOCK_SKEW_SECONDS,
      issuer: options.issuer,
      audience: options.audience,
      // A token without `exp` would be good forever; without `sub` the usage event names no one.
      requiredClaims: ["exp", "sub"],
    });
  }

  async verify(token: string): Promise<AuthVerdict> {
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      return reject("malformed JWT");
    }
    if (alg === "HS256" && this.hs256) {
      const claims = await this.hs256.verify(token, { ...this.rules, algorithms: SECRET_ALGORITHMS });
      // @elysiajs/jwt does not say why; jose's reason is only worth having for JWKS tokens.
      if (!claims) return reject("HS256 JWT failed verification (signature, exp/nbf, iss, aud or claims)");
      return identify(claims.sub);
    }
    if (typeof alg === "string" && this.jwksAlgorithms.has(alg) && this.keySet) {
      try {
        const { payload } = await jwtVerify(token, this.keySet.getKey, { ...this.rules, algorithms: JWKS_ALGORITHMS });
        return identify(payload.sub);
      } catch (e) {
        return reject(`${alg} JWT failed verification: ${(e as { code?: string }).code ?? (e as Error).message}`);
      }
    }
    return reject(`JWT alg ${JSON.stringify(alg)} is not accepted by the configured keys`);
  }
}

function identify(sub: unknown): AuthVerdict {
  return typeof sub === "string" && sub !== "" ? accept({ method: "jwt", subject: sub }) : reject("JWT sub is not a non-empty string");
}
