/**
 * Mistral validates every tool-call id in the history: exactly 9 characters from [a-zA-Z0-9],
 * anything else is a 400. Ids from other providers (`call_…`, `toolu_…`) are mapped to a
 * deterministic 9-character base62 id, so the assistant call and its tool result, mapped
 * separately, still agree, and the same conversation maps the same way on every turn.
 */
import { createHash } from "node:crypto";

const VALID = /^[a-zA-Z0-9]{9}$/;
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ID_LENGTH = 9;

export function isMistralToolCallId(id: string): boolean {
  return VALID.test(id);
}

/** A valid id unchanged; any other id → base62 of the first 64 bits of its SHA-256. */
export function toMistralToolCallId(id: string): string {
  if (VALID.test(id)) return id;
  let n = createHash("sha256").update(id).digest().readBigUInt64BE(0);
  let out = "";
  for (let i = 0; i < ID_LENGTH; i++) {
    out += BASE62[Number(n % 62n)];
    n /= 62n;
  }
  return out;
}
