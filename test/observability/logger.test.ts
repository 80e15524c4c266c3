/** Log lines are one JSON object each: time, level, msg, then the bindings, then the fields. */
import { expect, test } from "bun:test";
import { isoTime } from "../../src/observability/iso-time";
import { createLogger } from "../../src/observability/logger";

function capture(level: "debug" | "info" | "warn" | "error" = "debug", bindings: Record<string, unknown> = {}) {
  const lines: string[] = [];
  return { lines, log: createLogger(level, bindings, (line) => lines.push(line)) };
}

test("a line has time, level, msg, the bindings and the fields, in that order, and ends in a newline", () => {
  const { lines, log } = capture("info", { service: "completion-service" });
  const before = Date.now();
  log.child({ requestId: "r-1" }).info("completion finished", { model: "m", status: "success", errorCode: undefined, tokens: 3 });
  expect(lines).toHaveLength(1);
  expect(lines[0]!.endsWith("}\n")).toBe(true);
  const line = JSON.parse(lines[0]!);
  expect(Object.keys(line)).toEqual(["time", "level", "msg", "service", "requestId", "model", "status", "tokens"]);
  expect(line).toMatchObject({
    level: "info",
    msg: "completion finished",
    service: "completion-service",
    requestId: "r-1",
    model: "m",
    tokens: 3,
  });
  expect(Date.parse(line.time)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
  expect(Date.parse(line.time)).toBeLessThanOrEqual(Date.now());
});

test("no fields, empty fields, and no bindings all give valid lines", () => {
  const { lines, log } = capture();
  log.info("plain");
  log.warn("empty", {});
  log.child({}).error("only undefined", { a: undefined });
  expect(lines.map((l) => JSON.parse(l))).toEqual([
    { time: expect.any(String), level: "info", msg: "plain" },
    { time: expect.any(String), level: "warn", msg: "empty" },
    { time: expect.any(String), level: "error", msg: "only undefined" },
  ]);
});

test("a field named like a binding or a line key wins, once, as an object spread would", () => {
  const { lines, log } = capture("debug", { component: "usage-events" });
  log.info("first", { component: "override", msg: "replaced" });
  const line = JSON.parse(lines[0]!);
  expect(line.component).toBe("override");
  expect(line.msg).toBe("replaced");
  expect(lines[0]!.match(/"component"/g)).toHaveLength(1);
  const bound = capture("debug", { level: "custom" });
  bound.log.info("x");
  expect(JSON.parse(bound.lines[0]!).level).toBe("custom");
});

test("errors among the fields are written as name and message; strings with quotes stay valid JSON", () => {
  const { lines, log } = capture();
  log.error('upstream said "no"\n', { error: new TypeError('bad "thing"'), detail: "a\u2028b" });
  const line = JSON.parse(lines[0]!);
  expect(line.msg).toBe('upstream said "no"\n');
  expect(line.error).toEqual({ name: "TypeError", message: 'bad "thing"' });
  expect(line.detail).toBe("a\u2028b");
});

test("an Error among the bindings is written as name and message too", () => {
  const { lines, log } = capture("info", { cause: new RangeError("out of range") });
  log.child({ requestId: "r-2" }).info("x", { n: 1 });
  expect(JSON.parse(lines[0]!)).toMatchObject({ cause: { name: "RangeError", message: "out of range" }, requestId: "r-2", n: 1 });
});

test("levels below the logger's are not written", () => {
  const { lines, log } = capture("warn");
  log.debug("d");
  log.info("i");
  log.warn("w");
  expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["w"]);
});

test("isoTime is Date's ISO string for any millisecond, repeated or not", () => {
  for (const ms of [0, 1_770_000_000_123, 1_770_000_000_123, 1_770_000_000_124, Date.now()]) {
    expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  }
});
