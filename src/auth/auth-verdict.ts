/** What an auth check decides about one request (docs/auth.md). */

/**
 * Who made the request, as far as the service can prove it, for the usage event: the API key's
 * name (or its fingerprint) or the JWT's subject. Never the key or the token.
 */
export type AuthIdentity = { method: "api_key"; keyName: string } | { method: "jwt"; subject: string };

/**
 * `reason` is for the operator's debug log only: clients always get the same 401, so that a
 * caller cannot learn which part of a credential failed.
 */
export type AuthVerdict = { ok: true; auth: AuthIdentity | null } | { ok: false; reason: string };

export const accept = (auth: AuthIdentity | null): AuthVerdict => ({ ok: true, auth });
export const reject = (reason: string): AuthVerdict => ({ ok: false, reason });
