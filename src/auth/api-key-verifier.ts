/**
 * API keys (AUTH_MODE=api_key, docs/auth.md): `API_KEYS` entries are plain keys or `sha256:<hex>` digests of them,
 * each optionally named (`name=key`, `name=sha256:<hex>`) so that usage can be attributed.
 * Every key is held as its SHA-256 digest, so a presented key is hashed once and compared with
 * each digest: equal-length inputs let the compare run in constant time, and the env need not
 * hold plain keys at all.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { AuthConfigError } from "./auth-config-error";

const HASH_PREFIX = "sha256:";
const HEX_DIGEST = /^[0-9a-f]{64}$/i;

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/**
 * `name=` before a key. A key may hold `=` itself (base64 padding): only a leading word followed by
 * `=` and something that is not `=` is a name.
 */
const NAMED_ENTRY = /^([A-Za-z0-9_.:@-]{1,64})=([^=].*)$/s;

/** Characters of the digest that name an unnamed key: enough to tell keys apart, too few to find one. */
const FINGERPRINT_HEX = 12;

export interface ApiKeyEntry {
  digest: Buffer;
  /** The entry's name, or the first hex digits of the key's SHA-256 (the same for `key` and `sha256:<hex>`). */
  name: string;
}

/** An `API_KEYS` entry split into its name (when it has one) and the key or `sha256:<hex>` digest. */
export function splitApiKeyEntry(entry: string): { name?: string; key: string } {
  const named = NAMED_ENTRY.exec(entry);
  return named ? { name: named[1]!, key: named[2]! } : { key: entry };
}

/** An `API_KEYS` entry read; `position` is 1-based, for the error line. */
export function parseApiKeyEntry(entry: string, position: number): ApiKeyEntry {
  const { name, key } = splitApiKeyEntry(entry);
  const digest = apiKeyEntryDigest(key, position);
  return { digest, name: name ?? digest.toString("hex").slice(0, FINGERPRINT_HEX) };
}

/** The digest an `API_KEYS` entry (without its name) stands for. */
export function apiKeyEntryDigest(entry: string, position: number): Buffer {
  if (!entry.startsWith(HASH_PREFIX)) return sha256(entry);
  const hex = entry.slice(HASH_PREFIX.length);
  // The entry itself is not echoed: a mistyped one may be a plain key.
  if (!HEX_DIGEST.test(hex)) {
    throw new AuthConfigError(`API_KEYS entry ${position} is malformed: expected sha256:<64 hex digits>`);
  }
  return Buffer.from(hex, "hex");
}

export class ApiKeyVerifier {
  private constructor(private readonly entries: readonly ApiKeyEntry[]) {}

  /** Throws AuthConfigError on an empty list or a malformed `sha256:` entry. */
  static fromEntries(entries: readonly string[]): ApiKeyVerifier {
    if (entries.length === 0) throw new AuthConfigError("API_KEYS is empty");
    return new ApiKeyVerifier(entries.map((entry, i) => parseApiKeyEntry(entry, i + 1)));
  }

  get size(): number {
    return this.entries.length;
  }

  /** The matching entry's name, or null. */
  match(presented: string): string | null {
    const digest = sha256(presented);
    // No early exit: the time taken does not tell which entry (if any) matched.
    let found = -1;
    this.entries.forEach((known, i) => {
      if (timingSafeEqual(digest, known.digest) && found < 0) found = i;
    });
    return found < 0 ? null : this.entries[found]!.name;
  }

  matches(presented: string): boolean {
    return this.match(presented) !== null;
  }
}
