/**
 * Per AUTH_MODE, which presented credential is checked and by what (docs/auth.md). When a request
 * sends both headers, `x-api-key` is the one checked: one credential decides, never a second try.
 */
import type { ApiKeyVerifier } from "./api-key-verifier";
import { accept, reject, type AuthVerdict } from "./auth-verdict";
import type { JwtVerifier } from "./jwt-verifier";
import { readCredentials } from "./read-credentials";

export type Authenticate = (headers: Headers) => Promise<AuthVerdict>;

const NO_CREDENTIALS = reject("no credentials");

export function apiKeyAuthentication(keys: ApiKeyVerifier): Authenticate {
  return async (headers) => {
    const { apiKey, bearer } = readCredentials(headers);
    const presented = apiKey ?? bearer;
    if (presented === null) return NO_CREDENTIALS;
    return keyVerdict(keys, presented);
  };
}

function keyVerdict(keys: ApiKeyVerifier, presented: string): AuthVerdict {
  const keyName = keys.match(presented);
  return keyName === null ? reject("unknown API key") : accept({ method: "api_key", keyName });
}

export function jwtAuthentication(verifier: JwtVerifier): Authenticate {
  return async (headers) => {
    const { bearer } = readCredentials(headers);
    return bearer === null ? NO_CREDENTIALS : verifier.verify(bearer);
  };
}

export function apiKeyOrJwtAuthentication(keys: ApiKeyVerifier, verifier: JwtVerifier): Authenticate {
  return async (headers) => {
    const { apiKey, bearer } = readCredentials(headers);
    if (apiKey !== null) return keyVerdict(keys, apiKey);
    if (bearer === null) return NO_CREDENTIALS;
    // A key costs one hash; only a bearer that is no key pays for JWT verification.
    const keyName = keys.match(bearer);
    if (keyName !== null) return accept({ method: "api_key", keyName });
    return verifier.verify(bearer);
  };
}
