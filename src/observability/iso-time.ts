/**
 * `new Date(ms).toISOString()`, made once per millisecond: every log line and usage event carries
 * a timestamp, and under load many fall in the same millisecond.
 */
let lastMs = Number.NaN;
let lastIso = "";

export function isoTime(ms: number = Date.now()): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}
