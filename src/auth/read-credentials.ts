/** The credentials a request presents: an `x-api-key` header and/or an `Authorization: Bearer` token. */

export interface PresentedCredentials {
  apiKey: string | null;
  bearer: string | null;
}

// RFC 6750 §2.1: the scheme is case-insensitive; the token is one run of non-space characters.
const BEARER = /^bearer +(\S+) *$/i;

export function readCredentials(headers: Headers): PresentedCredentials {
  const apiKey = headers.get("x-api-key") || null;
  const authorization = headers.get("authorization");
  const bearer = authorization ? (BEARER.exec(authorization)?.[1] ?? null) : null;
  return { apiKey, bearer };
}
