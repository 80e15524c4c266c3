/**
 * API keys (CONTRACT §6): `API_KEYS` entries are plain keys or `sha256:<hex>` digests of them.
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

/** The digest an `API_KEYS` entry stands for; `position` is 1-based, for the error line. */
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
  private constructor(private readonly digests: readonly Buffer[]) {}

  /** Throws AuthConfigError on an empty list or a malformed `sha256:` entry. */
  static fromEntries(entries: readonly string[]): ApiKeyVerifier {
    if (entries.length === 0) throw new AuthConfigError("API_KEYS is empty");
    return new ApiKeyVerifier(entries.map((entry, i) => apiKeyEntryDigest(entry, i + 1)));
  }

  get size(): number {
    return this.digests.length;
  }

  matches(presented: string): boolean {
    const digest = sha256(presented);
    // No early exit: the time taken does not tell which entry (if any) matched.
    let hit = 0;
    for (const known of this.digests) hit |= timingSafeEqual(digest, known) ? 1 : 0;
    return hit === 1;
  }
}
