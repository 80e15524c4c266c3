/** JWTs for tests: good ones, and each way one can be bad. */
import { base64url, SignJWT, type CryptoKey, type JWTPayload } from "jose";

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A claim set that passes, for the issuer/audience the tests configure. */
export function claims(overrides: JWTPayload = {}): JWTPayload {
  const now = nowSeconds();
  return { sub: "user-42", iss: "https://issuer.test", aud: "completion-service", iat: now, exp: now + 300, ...overrides };
}

/** Drops the named claims from a claim set. */
export function without(set: JWTPayload, ...names: string[]): JWTPayload {
  const copy = { ...set };
  for (const name of names) delete copy[name];
  return copy;
}

export function sign(
  payload: JWTPayload,
  key: CryptoKey | Uint8Array,
  header: { alg: string; kid?: string; typ?: string },
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ typ: "JWT", ...header }).sign(key);
}

export function signHs256(payload: JWTPayload, secret: string, alg = "HS256"): Promise<string> {
  return sign(payload, new TextEncoder().encode(secret), { alg });
}

/** An unsecured JWT (`alg: none`, empty signature). */
export function unsecured(payload: JWTPayload, kid?: string): string {
  const header = base64url.encode(JSON.stringify({ alg: "none", typ: "JWT", ...(kid && { kid }) }));
  return `${header}.${base64url.encode(JSON.stringify(payload))}.`;
}

/** The same token with its payload swapped for another claim set, signature kept. */
export function tamper(token: string, payload: JWTPayload): string {
  const [header, , signature] = token.split(".");
  return `${header}.${base64url.encode(JSON.stringify(payload))}.${signature}`;
}
