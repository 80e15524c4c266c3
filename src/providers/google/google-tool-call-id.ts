/**
 * Tool-call ids for Gemini function calls, carrying the call's thought signature.
 *
 * Gemini thinking models (2.5, 3) put an opaque `thoughtSignature` on the part that holds a
 * function call and want it back on that same part when the conversation is replayed; Gemini 3
 * refuses a replayed call without one. The contract has nowhere to keep it but the call id, which
 * clients echo verbatim in `toolCalls[].id` and `toolCallId`, so the id carries it:
 *
 *   <core>                          the call had no signature
 *   <core>__gts<mode><payload>      the call had one
 *
 * `core` is Gemini's own `functionCall.id` when it sent one, else an id we generate (`call_…`);
 * it is what goes back to Gemini as `functionCall.id` / `functionResponse.id`. `mode` is `b` when
 * the signature is canonical base64 (the payload is the same bytes in unpadded base64url, so the id
 * stays within `[A-Za-z0-9_-]` at about the signature's own length) and `u` otherwise (the payload
 * is the base64url of its UTF-8). An id that does not parse is taken as a plain id.
 */

const MARKER = "__gts";
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export interface GoogleToolCallId {
  /** The id Gemini knows the call by (its own, or the one we generated). */
  core: string;
  thoughtSignature?: string;
}

export function encodeGoogleToolCallId(core: string, thoughtSignature: string | undefined): string {
  if (!thoughtSignature) return core;
  const b = thoughtSignature.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  if (BASE64URL.test(b) && fromBase64Mode(b) === thoughtSignature) return `${core}${MARKER}b${b}`;
  return `${core}${MARKER}u${Buffer.from(thoughtSignature, "utf8").toString("base64url")}`;
}

export function decodeGoogleToolCallId(id: string): GoogleToolCallId {
  const at = id.indexOf(MARKER);
  if (at <= 0) return { core: id };
  const mode = id[at + MARKER.length];
  const payload = id.slice(at + MARKER.length + 1);
  if (!payload || !BASE64URL.test(payload)) return { core: id };
  const core = id.slice(0, at);
  if (mode === "b") return { core, thoughtSignature: fromBase64Mode(payload) };
  if (mode === "u") return { core, thoughtSignature: Buffer.from(payload, "base64url").toString("utf8") };
  return { core: id };
}

function fromBase64Mode(payload: string): string {
  const standard = payload.replace(/-/g, "+").replace(/_/g, "/");
  return standard + "=".repeat((4 - (standard.length % 4)) % 4);
}
