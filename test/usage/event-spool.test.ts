/** The spool on its own: order, rotation, damage after a crash, partial drains. No broker needed. */
import { afterEach, describe, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../../src/observability/logger";
import { EventSpool } from "../../src/usage/event-spool";

const dirs: string[] = [];
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), "usage-spool-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function capture() {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: createLogger("debug", {}, (line) => lines.push(JSON.parse(line))) };
}

const line = (i: number) => JSON.stringify({ eventId: `e${i}`, timestamp: "2026-01-15T10:30:00.000Z", n: i });

async function drainAll(spool: EventSpool): Promise<string[]> {
  const ids: string[] = [];
  for (let segment = await spool.oldest(); segment; segment = await spool.oldest()) {
    const records = await spool.read(segment);
    ids.push(...records.map((r) => r.eventId));
    spool.settle(segment, records.length);
    await spool.remove(segment);
  }
  return ids;
}

describe("event spool", () => {
  test("keeps events in append order across files, and counts what waits", async () => {
    const dir = scratch();
    const spool = await EventSpool.open(dir, capture().logger, { maxRecordsPerFile: 3 });
    for (let i = 0; i < 10; i += 2) await spool.append([line(i), line(i + 1)]);
    expect(spool.pending).toBe(10);
    expect(readdirSync(dir).length).toBeGreaterThan(1);
    expect(await drainAll(spool)).toEqual(Array.from({ length: 10 }, (_, i) => `e${i}`));
    expect(spool.pending).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  test("a new process finds what an earlier one left, and appends behind it", async () => {
    const dir = scratch();
    const first = await EventSpool.open(dir, capture().logger);
    await first.append([line(1), line(2)]);
    await first.close();

    const second = await EventSpool.open(dir, capture().logger);
    expect(second.pending).toBe(2);
    await second.append([line(3)]);
    expect(await drainAll(second)).toEqual(["e1", "e2", "e3"]);
  });

  test("a partial last line (a crash mid-write) loses only that line, with a warning", async () => {
    const dir = scratch();
    const path = join(dir, "usage-events-000000000007.ndjson");
    writeFileSync(path, `${line(1)}\n${line(2)}\n${line(3)}\n`);
    appendFileSync(path, line(4).slice(0, 25));
    const { lines, logger } = capture();
    const spool = await EventSpool.open(dir, logger);
    const segment = await spool.oldest();
    const records = await spool.read(segment!);
    expect(records.map((r) => r.eventId)).toEqual(["e1", "e2", "e3"]);
    expect(spool.pending).toBe(3);
    const warning = lines.find((l) => l.level === "warn");
    expect(String(warning?.msg)).toContain("partial line");
    expect(String(warning?.msg)).toContain("lost");
    expect(warning?.file).toBe(path);
    // The file is rewritten clean: reading it again warns no more.
    expect(readFileSync(path, "utf8")).toBe(`${line(1)}\n${line(2)}\n${line(3)}\n`);
    // New files continue after the highest sequence found.
    await spool.append([line(5)]);
    await spool.close();
    expect(readdirSync(dir).sort()).toEqual(["usage-events-000000000007.ndjson", "usage-events-000000000008.ndjson"]);
  });

  test("a last line complete but for its newline is kept", async () => {
    const dir = scratch();
    writeFileSync(join(dir, "usage-events-000000000001.ndjson"), `${line(1)}\n${line(2)}`);
    const { lines, logger } = capture();
    const spool = await EventSpool.open(dir, logger);
    expect(await drainAll(spool)).toEqual(["e1", "e2"]);
    expect(lines.filter((l) => l.level === "warn")).toEqual([]);
  });

  test("rewrite keeps only what is left of a partly delivered file", async () => {
    const dir = scratch();
    const spool = await EventSpool.open(dir, capture().logger);
    await spool.append([line(1), line(2), line(3)]);
    const segment = (await spool.oldest())!;
    const records = await spool.read(segment);
    spool.settle(segment, 1);
    await spool.rewrite(
      segment,
      records.slice(1).map((r) => r.line),
    );
    await spool.close();
    const again = await EventSpool.open(dir, capture().logger);
    expect(again.pending).toBe(2);
    expect(await drainAll(again)).toEqual(["e2", "e3"]);
  });

  test("an unwritable directory is refused at open, naming it", async () => {
    const dir = scratch();
    const file = join(dir, "not-a-dir");
    writeFileSync(file, "x");
    await expect(EventSpool.open(join(file, "spool"), capture().logger)).rejects.toThrow(/EVENTS_SPOOL_DIR .*not-a-dir\/spool/);
  });
});
