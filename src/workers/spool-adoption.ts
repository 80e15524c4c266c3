/**
 * Usage-event spool files no worker would read: those a single process (WORKERS=1) left at the top
 * of EVENTS_SPOOL_DIR, and those of worker indexes this run does not have (WORKERS lowered). Run
 * by the supervisor before any worker starts, it moves them into worker 0's directory, numbered
 * after the files already there, so that worker publishes them. Nothing else writes there yet.
 */
import { mkdir, readdir, rename } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../observability/logger";

const FILE_PATTERN = /^usage-events-(\d{12})\.ndjson$/;
const WORKER_DIR = /^worker-(\d+)$/;

async function spoolFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => FILE_PATTERN.test(name)).sort();
  } catch {
    return []; // no such directory: nothing left there
  }
}

/** Returns how many files were moved. */
export async function adoptOrphanSpools(dir: string, workers: number, logger: Logger): Promise<number> {
  const orphans = (await spoolFiles(dir)).map((name) => join(dir, name));
  let entries: string[] = [];
  try {
    entries = await readdir(dir);
  } catch {}
  for (const entry of entries.sort()) {
    const m = WORKER_DIR.exec(entry);
    if (m && Number(m[1]) >= workers) orphans.push(...(await spoolFiles(join(dir, entry))).map((name) => join(dir, entry, name)));
  }
  if (orphans.length === 0) return 0;
  const target = join(dir, "worker-0");
  await mkdir(target, { recursive: true });
  const present = await spoolFiles(target);
  let seq = present.length ? Number(FILE_PATTERN.exec(present.at(-1)!)![1]) : 0;
  for (const file of orphans) {
    seq++;
    await rename(file, join(target, `usage-events-${String(seq).padStart(12, "0")}.ndjson`));
  }
  logger.info("usage-event spool files no worker would read moved to worker 0, which publishes them", {
    files: orphans.length,
    to: target,
  });
  return orphans.length;
}
