/**
 * Reads a request body declared as JSON within the service's bounds: at most `limitBytes` bytes, counted
 * as they arrive (a chunked body has no Content-Length to check up front, and a character may be
 * up to four bytes), and at most `maxDepth` levels of nested objects and arrays, checked on the
 * text before it is parsed. Both checks take time linear in the body, so a hostile body is
 * refused before anything costlier (parsing, schema validation, explaining the errors) sees it.
 */
import { GatewayError } from "../core/errors";

export interface BodyBounds {
  limitBytes: number;
  maxDepth: number;
}

export async function readJsonBody(request: Request, bounds: BodyBounds): Promise<unknown> {
  checkContentType(request.headers.get("content-type"));
  const text = await readBodyText(request, bounds.limitBytes);
  checkNestingDepth(text, bounds.maxDepth);
  try {
    return JSON.parse(text);
  } catch {
    throw new GatewayError("invalid_request", "request body is not valid JSON", {
      details: [{ field: "body", message: "must be valid JSON" }],
    });
  }
}

/** `application/json` or a `+json` type, parameters allowed (`; charset=utf-8`). */
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json$/;

/**
 * A body must say it is JSON. Anything else is refused unread: a browser may send a form or
 * `text/plain` cross-origin with no preflight, and such a post must not run a completion.
 */
function checkContentType(header: string | null): void {
  const semicolon = header?.indexOf(";") ?? -1;
  const type = (semicolon >= 0 ? header!.slice(0, semicolon) : (header ?? "")).trim().toLowerCase();
  if (JSON_TYPE.test(type)) return;
  const given = header ? `"${header.length > 100 ? `${header.slice(0, 100)}…` : header}"` : "none";
  throw new GatewayError("unsupported_media_type", `request body must be application/json (content-type: ${given})`, {
    details: [{ field: "content-type", message: "must be application/json" }],
  });
}

function tooLarge(limitBytes: number): GatewayError {
  return new GatewayError("payload_too_large", `request body is over the limit of ${limitBytes} bytes`);
}

const decoder = new TextDecoder();

async function readBodyText(request: Request, limitBytes: number): Promise<string> {
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    // The server reads no more than the declared length: checking it is enough.
    if (Number(declared) > limitBytes) throw tooLarge(limitBytes);
    return request.text();
  }
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limitBytes) {
      // Stop reading: the rest of the body is never buffered.
      reader.cancel().catch(() => {});
      throw tooLarge(limitBytes);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return decoder.decode(chunks[0]);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return decoder.decode(bytes);
}

/** Path segments shown in the error before it is cut short with "…". */
const SHOWN_SEGMENTS = 8;
/** Characters of one key shown in the error. */
const SHOWN_KEY = 40;

/**
 * Throws `invalid_request` naming the path (`context.a.b…`) where the text nests deeper than
 * `maxDepth` objects and arrays. One pass over the text; strings are skipped with `indexOf`. The
 * text need not be valid JSON (the parser says so afterwards); only structure is followed.
 */
export function checkNestingDepth(text: string, maxDepth: number): void {
  // Per open container: whether it is an array, and its current index or key (as offsets into the
  // text, cut only to name the path in an error).
  const isArray: boolean[] = [];
  const index: number[] = [];
  const keyStart: number[] = [];
  const keyEnd: number[] = [];
  let depth = 0;
  let expectKey = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const start = i + 1;
      let end = text.indexOf('"', start);
      // A quote preceded by an odd number of backslashes is escaped.
      for (;;) {
        if (end < 0) return; // unterminated: the parser will refuse it
        let slashes = 0;
        while (text.charCodeAt(end - 1 - slashes) === 92) slashes++;
        if (slashes % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      if (expectKey) {
        keyStart[depth - 1] = start;
        keyEnd[depth - 1] = end;
        expectKey = false;
      }
      i = end;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (depth === maxDepth) throw tooDeep(text, { isArray, index, keyStart, keyEnd }, maxDepth);
      isArray[depth] = c === 91;
      index[depth] = 0;
      keyStart[depth] = keyEnd[depth] = 0;
      depth++;
      expectKey = c === 123;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      if (depth > 0) depth--;
      expectKey = false;
    } else if (c === 44 /* , */ && depth > 0) {
      if (isArray[depth - 1]) index[depth - 1]!++;
      else expectKey = true;
    }
  }
}

interface OpenContainers {
  isArray: boolean[];
  index: number[];
  keyStart: number[];
  keyEnd: number[];
}

function tooDeep(text: string, open: OpenContainers, maxDepth: number): GatewayError {
  // The first container is the body itself: the path starts with its key (or index).
  let field = "";
  const shown = Math.min(maxDepth, SHOWN_SEGMENTS);
  for (let d = 0; d < shown; d++) {
    if (open.isArray[d]) field += `[${open.index[d]}]`;
    else
      field += (field ? "." : "") + readableKey(text.slice(open.keyStart[d], Math.min(open.keyEnd[d]!, open.keyStart[d]! + SHOWN_KEY * 2)));
  }
  if (maxDepth > SHOWN_SEGMENTS) field += "…";
  return new GatewayError("invalid_request", `${field || "body"}: nests deeper than ${maxDepth} levels`, {
    details: [{ field: field || "body", message: `nests deeper than ${maxDepth} levels of objects and arrays` }],
  });
}

function readableKey(raw: string): string {
  let key = raw;
  if (raw.includes("\\")) {
    try {
      key = JSON.parse(`"${raw}"`);
    } catch {
      // a key cut inside an escape: shown as written
    }
  }
  return key.length > SHOWN_KEY ? `${key.slice(0, SHOWN_KEY)}…` : key;
}
