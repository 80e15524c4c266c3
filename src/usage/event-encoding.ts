/**
 * A usage event to the JSON line that is published, spooled or logged: bounded in size and never
 * throwing. A field larger than its cap has its strings shortened until it fits; a field that
 * cannot be serialised at all (a `context` nested too deep for the serialiser) is left out (`null`).
 * Either way the event still goes out, says what was cut in `truncated`, and the cut is counted and
 * logged. Sizes are bytes of the UTF-8 JSON as it goes on the wire (lone surrogates are escaped by
 * the serialiser, invalid input bytes are already U+FFFD), so nothing grows after it is measured.
 */
import type { Settings } from "../config/settings";
import type { Logger } from "../observability/logger";
import type { Metrics } from "../observability/metrics";
import type { Truncated, TruncationNote, UsageEvent } from "./usage-event";

export interface EventLimits {
  /** `messages`, serialised. */
  messagesBytes: number;
  /** `error` and each failed attempt's `error`, serialised. */
  errorBytes: number;
  /** Each of `context`, `responseFormat`, `toolChoice` and `stop`, serialised. */
  fieldBytes: number;
}

export const DEFAULT_EVENT_LIMITS: EventLimits = {
  messagesBytes: 1024 * 1024,
  errorBytes: 8 * 1024,
  fieldBytes: 64 * 1024,
};

export interface EncodedEvent {
  line: string;
  /** The line as UTF-8: the message body. */
  body: Buffer;
  truncated: Truncated | null;
}

type Field = keyof UsageEvent;

/**
 * Deeper than this, a field is left out without trying to serialise it: the serialiser would fail
 * only after a stack overflow that blocks the process for most of a second.
 */
const MAX_DEPTH = 1_000;
const FREE_FORM: Field[] = ["context", "responseFormat", "toolChoice", "messages", "auth"];

/** True when `value` nests deeper than `max` (checked without recursion). */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** JSON of `value`, or an Error when the serialiser cannot make it. */
function tryJson(value: unknown): string | Error {
  try {
    return JSON.stringify(value) ?? "null";
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/**
 * The event as a bounded JSON line, or null when not even a fallback without the offending fields
 * could be serialised (the caller reports the loss).
 */
export function encodeUsageEvent(event: UsageEvent, limits: EventLimits = DEFAULT_EVENT_LIMITS): EncodedEvent | null {
  const truncated: Truncated = {};
  for (const field of FREE_FORM) {
    if (!nestsDeeperThan(event[field], MAX_DEPTH)) continue;
    truncated[field] = { reason: "unserialisable", error: `nested deeper than ${MAX_DEPTH} levels` };
  }
  if (Object.keys(truncated).length > 0) {
    const shallow: Record<string, unknown> = { ...event };
    for (const field of Object.keys(truncated)) shallow[field] = null;
    event = shallow as unknown as UsageEvent;
  }
  const whole = tryJson(event);
  // Each UTF-16 unit of the JSON is at most 3 UTF-8 bytes: an event this small fits every cap.
  if (
    typeof whole === "string" &&
    Object.keys(truncated).length === 0 &&
    whole.length * 3 <= Math.min(limits.messagesBytes, limits.errorBytes, limits.fieldBytes)
  ) {
    return { line: whole, body: Buffer.from(whole), truncated: null };
  }
  const wholeBytes = typeof whole === "string" ? Buffer.byteLength(whole) : Number.POSITIVE_INFINITY;
  const caps: [Field, number][] = [
    ["messages", limits.messagesBytes],
    ["error", limits.errorBytes],
    ["attempts", limits.errorBytes * Math.max(1, event.attempts?.length ?? 0)],
    ["context", limits.fieldBytes],
    ["responseFormat", limits.fieldBytes],
    ["toolChoice", limits.fieldBytes],
    ["stop", limits.fieldBytes],
  ];
  const patched: Record<string, unknown> = { ...event };
  for (const [field, limit] of caps) {
    const value = event[field];
    if (value === null || value === undefined || wholeBytes <= limit) continue;
    const bounded = bound(value, limit);
    if (bounded.note) {
      patched[field] = bounded.value;
      truncated[field] = bounded.note;
    }
  }
  let line = Object.keys(truncated).length > 0 ? tryJson({ ...patched, truncated }) : whole;
  if (typeof line !== "string") {
    // A field no cap covers cannot be serialised: leave out whichever cannot.
    for (const field of Object.keys(patched)) {
      const json = tryJson(patched[field]);
      if (typeof json === "string") continue;
      patched[field] = null;
      truncated[field] = { reason: "unserialisable", error: json.message.slice(0, 200) };
    }
    line = tryJson({ ...patched, truncated });
  }
  if (typeof line !== "string") return null;
  return { line, body: Buffer.from(line), truncated: Object.keys(truncated).length > 0 ? truncated : null };
}

/** `value` cut to `limit` bytes of JSON, with a note saying why; no note when it fits as it is. */
function bound(value: unknown, limit: number): { value: unknown; note: TruncationNote | null } {
  const json = tryJson(value);
  if (typeof json !== "string") return { value: null, note: { reason: "unserialisable", error: json.message.slice(0, 200) } };
  const bytes = Buffer.byteLength(json);
  if (bytes <= limit) return { value, note: null };
  let cut: unknown = null;
  try {
    cut = shortenStrings(value, bytes, limit);
  } catch {
    // Too deep to walk here although the serialiser could: leave the field out.
  }
  return { value: cut, note: { reason: "too_large", bytes, limit } };
}

/**
 * A copy of `value` whose serialised size is at most `limit`: every string longer than a common
 * length (the most that lets the whole fit) is cut to it, so short strings (roles, names, ids)
 * stay whole and the long ones share what is left. Null when even the structure alone is larger.
 */
function shortenStrings(value: unknown, bytes: number, limit: number): unknown {
  const sizes: number[] = [];
  visitStrings(value, (s) => sizes.push(jsonBytes(s)));
  const structure = bytes - sizes.reduce((a, b) => a + b, 0);
  const budget = limit - structure;
  if (budget < 0) return null;
  const cap = waterLevel(sizes, budget);
  const result = mapStrings(value, (s) => (jsonBytes(s) > cap ? prefixWithin(s, cap) : s));
  return jsonBytes(result) <= limit ? result : null;
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/** The largest per-string size such that the strings, each cut to it, fit `budget` in total. */
function waterLevel(sizes: number[], budget: number): number {
  const sorted = [...sizes].sort((a, b) => a - b);
  let left = budget;
  for (let i = 0; i < sorted.length; i++) {
    const share = Math.floor(left / (sorted.length - i));
    if (sorted[i]! > share) return share;
    left -= sorted[i]!;
  }
  return Number.POSITIVE_INFINITY;
}

/** The longest prefix of `s` whose JSON (quotes included) is at most `maxBytes`; never splits a pair. */
function prefixWithin(s: string, maxBytes: number): string {
  let used = 2;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    let cost: number;
    let units = 1;
    if (c === 0x22 || c === 0x5c || c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) cost = 2;
    else if (c < 0x20) cost = 6;
    else if (c < 0x80) cost = 1;
    else if (c < 0x800) cost = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      cost = 4;
      units = 2;
    } else if (c >= 0xd800 && c <= 0xdfff)
      cost = 6; // a lone surrogate, escaped as \uXXXX
    else cost = 3;
    if (used + cost > maxBytes) break;
    used += cost;
    i += units;
  }
  return s.slice(0, i);
}

function visitStrings(value: unknown, visit: (s: string) => void): void {
  if (typeof value === "string") visit(value);
  else if (Array.isArray(value)) for (const v of value) visitStrings(v, visit);
  else if (value !== null && typeof value === "object") for (const v of Object.values(value)) visitStrings(v, visit);
}

function mapStrings(value: unknown, map: (s: string) => string): unknown {
  if (typeof value === "string") return map(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, map));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = mapStrings(v, map);
    return out;
  }
  return value;
}

/**
 * `encodeUsageEvent` for a sink: counts and logs every event that went out cut or without a field,
 * and every event that could not be serialised at all (then lost: logged with what billing needs).
 */
export class UsageEventEncoder {
  constructor(
    readonly limits: EventLimits,
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
  ) {
    // Shown on /metrics from the start, at 0, so rates and alerts work at once.
    for (const reason of ["too_large", "unserialisable"]) metrics?.usageEventsDegraded.inc({ reason }, 0);
    metrics?.usageEvents.inc({ result: "lost" }, 0);
  }

  encode(event: UsageEvent): EncodedEvent | null {
    let encoded: EncodedEvent | null = null;
    let failure: unknown = null;
    try {
      encoded = encodeUsageEvent(event, this.limits);
    } catch (e) {
      failure = e;
    }
    if (!encoded) {
      this.reportLost(event, failure ?? new Error("the event cannot be serialised, even without its optional fields"));
      return null;
    }
    if (encoded.truncated) {
      const reasons = new Set(Object.values(encoded.truncated).map((n) => n.reason));
      for (const reason of reasons) this.metrics?.usageEventsDegraded.inc({ reason });
      this.logger.warn("usage event published without part of its content", {
        eventId: event.eventId,
        requestId: event.requestId,
        truncated: encoded.truncated,
      });
    }
    return encoded;
  }

  /** The event cannot go out: the loss is counted and the billing figures logged. */
  reportLost(event: UsageEvent, error: unknown): void {
    this.metrics?.usageEvents.inc({ result: "lost" });
    lostEventLog(this.logger, event, error);
  }
}

/** The error line for an event that cannot be published: what billing needs to account for it by hand. */
export function lostEventLog(logger: Logger, event: UsageEvent, error: unknown): void {
  const e = error as Error | undefined;
  logger.error("usage event lost: it cannot be published", {
    error: e?.message ?? String(error),
    eventId: event?.eventId,
    requestId: event?.requestId,
    model: event?.model,
    providerId: event?.providerId,
    status: event?.status,
    inputTokens: event?.inputTokens,
    outputTokens: event?.outputTokens,
    totalTokens: event?.totalTokens,
    reasoningTokens: event?.reasoningTokens,
    cachedInputTokens: event?.cachedInputTokens,
    timestamp: event?.timestamp,
  });
}

/** The caps the settings ask for. */
export function eventLimitsFrom(
  settings: Pick<Settings, "eventsMaxMessagesBytes" | "eventsMaxErrorBytes" | "eventsMaxFieldBytes">,
): EventLimits {
  return {
    messagesBytes: settings.eventsMaxMessagesBytes,
    errorBytes: settings.eventsMaxErrorBytes,
    fieldBytes: settings.eventsMaxFieldBytes,
  };
}
