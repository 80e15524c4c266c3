/**
 * The usage event spool: append-only files on local disk where events wait while the broker
 * cannot take them, and where a shutdown leaves what it could not deliver.
 *
 * Layout: `<dir>/usage-events-<12-digit sequence>.ndjson`, one event's JSON per line. Files are
 * drained lowest sequence first and deleted once every event in them is confirmed by the broker.
 * A process only ever appends to a file it created itself, and starts a new one after a write
 * error, so a crash or a full disk can damage at most the last line of a file.
 */
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../observability/logger";

/** One spooled event: its line as written, and what the publisher needs from it. */
export interface SpoolRecord {
  line: string;
  eventId: string;
  timestampMs: number;
}

export interface SpoolSegment {
  readonly seq: number;
  readonly path: string;
  /** Events in the file not yet confirmed delivered (exact once the file has been read). */
  count: number;
  bytes: number;
}

export interface SpoolLimits {
  /** A file is closed to new events past either limit, so reading one back stays cheap. */
  maxRecordsPerFile: number;
  maxBytesPerFile: number;
}

const DEFAULT_LIMITS: SpoolLimits = { maxRecordsPerFile: 5_000, maxBytesPerFile: 16 * 1024 * 1024 };
const FILE_PATTERN = /^usage-events-(\d{12})\.ndjson$/;

export class EventSpool {
  /** Files no longer written to, oldest first. */
  private readonly sealed: SpoolSegment[] = [];
  private active: { segment: SpoolSegment; handle: FileHandle } | null = null;
  private nextSeq = 1;
  /** Appends run one at a time, in call order. */
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private readonly logger: Logger,
    private readonly limits: SpoolLimits,
  ) {}

  /** Creates the directory if needed, checks it is writable, and finds what a previous run left. */
  static async open(dir: string, logger: Logger, limits: Partial<SpoolLimits> = {}): Promise<EventSpool> {
    const spool = new EventSpool(dir, logger, { ...DEFAULT_LIMITS, ...limits });
    try {
      await mkdir(dir, { recursive: true });
      const probe = join(dir, `.probe-${process.pid}`);
      const handle = await open(probe, "w");
      await handle.close();
      await unlink(probe);
    } catch (e) {
      throw new Error(`EVENTS_SPOOL_DIR ${dir} is not a writable directory: ${(e as Error).message}`);
    }
    await spool.scan();
    return spool;
  }

  private async scan(): Promise<void> {
    for (const name of (await readdir(this.dir)).sort()) {
      if (name.endsWith(".tmp")) {
        // A rewrite that did not reach its rename: the original file is intact.
        await unlink(join(this.dir, name)).catch(() => {});
        continue;
      }
      const match = FILE_PATTERN.exec(name);
      if (!match) continue;
      const seq = Number(match[1]);
      const path = join(this.dir, name);
      const bytes = await readFile(path);
      this.sealed.push({ seq, path, count: countLines(bytes), bytes: bytes.length });
      this.nextSeq = Math.max(this.nextSeq, seq + 1);
    }
  }

  /** Events in the spool not yet confirmed delivered. */
  get pending(): number {
    let n = this.active?.segment.count ?? 0;
    for (const s of this.sealed) n += s.count;
    return n;
  }

  get files(): number {
    return this.sealed.length + (this.active ? 1 : 0);
  }

  /**
   * The oldest file, ready to be read. The file being appended to is closed first when it is
   * the only one left, so new events go to a fresh file behind it and order is kept.
   */
  async oldest(): Promise<SpoolSegment | undefined> {
    if (this.sealed.length === 0) {
      await this.serially(async () => {
        if (this.active && this.active.segment.count > 0) await this.sealActive();
      });
    }
    return this.sealed[0];
  }

  /** Waits for appends in progress. */
  async settled(): Promise<void> {
    await this.writes;
  }

  /** Appends events (one JSON line each) and fsyncs them; resolves once they are on disk. */
  append(lines: readonly string[]): Promise<void> {
    return this.serially(async () => {
      if (lines.length === 0) return;
      let active = this.active;
      if (active && (active.segment.count >= this.limits.maxRecordsPerFile || active.segment.bytes >= this.limits.maxBytesPerFile)) {
        await this.sealActive();
        active = null;
      }
      active ??= await this.openActive();
      const data = `${lines.join("\n")}\n`;
      try {
        await active.handle.appendFile(data);
        await active.handle.sync();
      } catch (e) {
        // The file may now end in part of a line: append nothing more to it.
        await this.sealActive();
        throw e;
      }
      active.segment.count += lines.length;
      active.segment.bytes += Buffer.byteLength(data);
    });
  }

  /** Runs file operations one at a time, in call order. */
  private serially(run: () => Promise<void>): Promise<void> {
    const done = this.writes.then(run, run);
    this.writes = done.catch(() => {});
    return done;
  }

  /**
   * Appends synchronously to a file of its own. Only for events that arrive after the sink was
   * closed, when there is no event loop left to rely on.
   */
  appendSync(lines: readonly string[]): void {
    const segment = this.newSegment();
    const fd = openSync(segment.path, "a");
    try {
      const data = `${lines.join("\n")}\n`;
      writeSync(fd, data);
      fsyncSync(fd);
      segment.count = lines.length;
      segment.bytes = Buffer.byteLength(data);
    } finally {
      closeSync(fd);
    }
    this.sealed.push(segment);
  }

  /**
   * Reads a closed file. A line that is not a whole event (a partial last line after a crash)
   * is dropped with a warning, and the file is rewritten without it.
   */
  async read(segment: SpoolSegment): Promise<SpoolRecord[]> {
    const text = await readFile(segment.path, "utf8");
    const lines = text.split("\n");
    const records: SpoolRecord[] = [];
    let damaged = false;
    lines.forEach((line, index) => {
      if (line.trim() === "") return;
      const record = parseRecord(line);
      if (record) {
        records.push(record);
        return;
      }
      damaged = true;
      const last = index === lines.length - 1;
      this.logger.warn(
        last
          ? "usage event spool file ends in a partial line; that one usage event is lost"
          : "usage event spool file has a line that is not a usage event; that line is lost",
        { file: segment.path, line: index + 1, bytes: Buffer.byteLength(line) },
      );
    });
    segment.count = records.length;
    if (damaged)
      await this.rewrite(
        segment,
        records.map((r) => r.line),
      );
    return records;
  }

  /** Counts events confirmed delivered out of a file. */
  settle(segment: SpoolSegment, delivered: number): void {
    segment.count = Math.max(0, segment.count - delivered);
  }

  /** Deletes a file whose events were all delivered. */
  async remove(segment: SpoolSegment): Promise<void> {
    const i = this.sealed.indexOf(segment);
    if (i >= 0) this.sealed.splice(i, 1);
    await unlink(segment.path).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "ENOENT") throw e;
    });
  }

  /** Replaces a file's content (what is left of it after a partial drain) atomically. */
  async rewrite(segment: SpoolSegment, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) {
      await this.remove(segment);
      return;
    }
    const tmp = `${segment.path}.tmp`;
    const data = `${lines.join("\n")}\n`;
    const handle = await open(tmp, "w");
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, segment.path);
    await this.syncDir();
    segment.count = lines.length;
    segment.bytes = Buffer.byteLength(data);
  }

  async close(): Promise<void> {
    await this.serially(() => this.sealActive());
  }

  private newSegment(): SpoolSegment {
    const seq = this.nextSeq++;
    return { seq, path: join(this.dir, `usage-events-${String(seq).padStart(12, "0")}.ndjson`), count: 0, bytes: 0 };
  }

  private async openActive(): Promise<{ segment: SpoolSegment; handle: FileHandle }> {
    const segment = this.newSegment();
    const handle = await open(segment.path, "a");
    // The new directory entry must survive a power cut as much as the lines in the file.
    await this.syncDir();
    this.active = { segment, handle };
    return this.active;
  }

  private async sealActive(): Promise<void> {
    const active = this.active;
    if (!active) return;
    this.active = null;
    await active.handle.close().catch(() => {});
    this.sealed.push(active.segment);
  }

  private async syncDir(): Promise<void> {
    try {
      const dir = await open(this.dir, "r");
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch {
      // Not every file system lets a directory be fsync'd; the data itself is already synced.
    }
  }
}

function countLines(bytes: Uint8Array): number {
  let n = 0;
  let lineHasContent = false;
  for (const b of bytes) {
    if (b === 0x0a) {
      if (lineHasContent) n++;
      lineHasContent = false;
    } else if (b !== 0x20 && b !== 0x0d) {
      lineHasContent = true;
    }
  }
  return lineHasContent ? n + 1 : n;
}

function parseRecord(line: string): SpoolRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (!value || typeof value !== "object") return null;
  const { eventId, timestamp } = value as { eventId?: unknown; timestamp?: unknown };
  if (typeof eventId !== "string" || eventId === "") return null;
  const parsed = typeof timestamp === "string" ? Date.parse(timestamp) : Number.NaN;
  return { line, eventId, timestampMs: Number.isFinite(parsed) ? parsed : Date.now() };
}
