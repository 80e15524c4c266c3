/**
 * Structured JSON logs, one line each, written off the response path: lines are gathered and
 * go to stdout once per turn of the event loop (see `stdoutLines`).
 */

import { isoTime } from "./iso-time";

export type LogLevel = "debug" | "info" | "warn" | "error";
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
  isEnabled(level: LogLevel): boolean;
}

export type LogWriter = (line: string) => void;

/** Past this many characters waiting, they are written at once rather than at the end of the turn. */
const FLUSH_AT_CHARS = 64 * 1024;
let waiting: string[] = [];
let waitingChars = 0;
let scheduled = false;

function flushStdout(): void {
  scheduled = false;
  if (waiting.length === 0) return;
  const text = waiting.length === 1 ? waiting[0]! : waiting.join("");
  waiting = [];
  waitingChars = 0;
  process.stdout.write(text);
}

/**
 * Whole lines for stdout, gathered and written together after the current turn of the event
 * loop (`setImmediate`): a burst of requests costs one write, not one per line, and the request
 * that logged does not wait for it. Order is kept; what waits is written at exit.
 * Meant for every line-per-record writer of the process (logs, the log usage sink).
 */
export const stdoutLines: LogWriter = (line) => {
  waiting.push(line);
  waitingChars += line.length;
  if (waitingChars >= FLUSH_AT_CHARS) flushStdout();
  else if (!scheduled) {
    scheduled = true;
    setImmediate(flushStdout);
  }
};
process.on("exit", flushStdout);

function hasError(fields: Record<string, unknown>): boolean {
  for (const key in fields) if (fields[key] instanceof Error) return true;
  return false;
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}

/** Keys every line starts with; a binding or field of the same name replaces it. */
const LINE_KEYS = new Set(["time", "level", "msg"]);

class JsonLogger implements Logger {
  /** The bindings as JSON members (`,"key":value…`), serialized at the logger's first line. */
  private boundMembers: string | undefined;
  /** A binding is named `time`, `level` or `msg`. */
  private readonly bindsLineKey: boolean;

  constructor(
    private readonly min: number,
    private readonly bindings: Record<string, unknown>,
    private readonly write: LogWriter,
  ) {
    this.bindsLineKey = Object.keys(bindings).some((key) => LINE_KEYS.has(key));
  }

  private emit(level: LogLevel, msg: string, fields: Record<string, unknown> | undefined): void {
    // The line is `{time, level, msg, ...bindings, ...fields}`. It is written as text (no merged
    // object per line), unless a key repeats, when the object is merged so the last one wins.
    if (this.bindsLineKey || (fields && this.repeats(fields))) {
      const line = { time: isoTime(), level, msg, ...this.bindings, ...fields };
      this.write(`${JSON.stringify(line, errorReplacer)}\n`);
      return;
    }
    if (this.boundMembers === undefined) {
      const b = this.bindings;
      const json = hasError(b) ? JSON.stringify(b, errorReplacer) : JSON.stringify(b);
      this.boundMembers = json.length > 2 ? `,${json.slice(1, -1)}` : "";
    }
    let line = `{"time":"${isoTime()}","level":"${level}","msg":${JSON.stringify(msg)}${this.boundMembers}`;
    if (fields) {
      // A replacer slows every stringify down; only lines with an Error among their fields need it.
      const json = hasError(fields) ? JSON.stringify(fields, errorReplacer) : JSON.stringify(fields);
      line += json.length > 2 ? `,${json.slice(1)}\n` : "}\n";
    } else line += "}\n";
    this.write(line);
  }

  private repeats(fields: Record<string, unknown>): boolean {
    for (const key in fields) if (LINE_KEYS.has(key) || Object.hasOwn(this.bindings, key)) return true;
    return false;
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    if (this.min <= RANK.debug) this.emit("debug", msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    if (this.min <= RANK.info) this.emit("info", msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    if (this.min <= RANK.warn) this.emit("warn", msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    if (this.min <= RANK.error) this.emit("error", msg, fields);
  }

  /** One object per child (a request's logger costs only its bindings). */
  child(bindings: Record<string, unknown>): Logger {
    return new JsonLogger(this.min, { ...this.bindings, ...bindings }, this.write);
  }

  isEnabled(level: LogLevel): boolean {
    return RANK[level] >= this.min;
  }
}

export function createLogger(level: LogLevel = "info", bindings: Record<string, unknown> = {}, write: LogWriter = stdoutLines): Logger {
  return new JsonLogger(RANK[level], bindings, write);
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
  isEnabled: () => false,
};
