/**
 * Where usage events the broker keeps refusing are parked, so they neither block the events behind
 * them nor vanish: `<spool dir>/dead-letter/usage-events-<YYYY-MM-DD>.ndjson`, one line per event,
 * `{"deadLetteredAt":"…","reason":"<the broker's words>","event":{…the message body…}}`,
 * appended and fsync'd before the event leaves the publisher. An operator re-publishes them by hand
 * once the cause is fixed (docs/usage-events.md, "The dead-letter file").
 */
import { mkdir, open } from "node:fs/promises";
import { join } from "node:path";

export class DeadLetterFile {
  readonly dir: string;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(spoolDir: string) {
    this.dir = join(spoolDir, "dead-letter");
  }

  /** Appends the events (their JSON lines) with the reason; resolves with the file once on disk. */
  park(lines: readonly string[], reason: string, now = new Date()): Promise<string> {
    const path = join(this.dir, `usage-events-${now.toISOString().slice(0, 10)}.ndjson`);
    const at = JSON.stringify(now.toISOString());
    const why = JSON.stringify(reason);
    const data = lines.map((line) => `{"deadLetteredAt":${at},"reason":${why},"event":${line}}\n`).join("");
    const run = async () => {
      await mkdir(this.dir, { recursive: true });
      const handle = await open(path, "a");
      try {
        await handle.appendFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return path;
    };
    const done = this.writes.then(run, run);
    this.writes = done.catch(() => {});
    return done;
  }
}
