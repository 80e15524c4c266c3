/**
 * What every completion must account for but its client need not wait for — metrics, the hand-off
 * of the usage event to the sink, the "completion finished" log line — runs here: once per turn of
 * the event loop, after that turn's responses were written. `flushAfterResponse` runs what is
 * waiting at once (shutdown, before the sink closes), so nothing queued here is ever dropped by a
 * graceful stop.
 */
export interface AfterResponseTask {
  run(): void;
  /** Told when `run` throws; it must say what was not accounted for (the usage event, if it was lost). */
  failed?(error: unknown): void;
}

let tasks: AfterResponseTask[] = [];
let scheduled = false;

export function afterResponse(task: AfterResponseTask): void {
  tasks.push(task);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAfterResponse);
  }
}

export function flushAfterResponse(): void {
  scheduled = false;
  // Tasks queued while these run wait for the next turn.
  const now = tasks;
  tasks = [];
  for (let i = 0; i < now.length; i++) {
    const task = now[i]!;
    try {
      task.run();
    } catch (error) {
      // A fault in one completion's accounting must not skip the others' or stop the process.
      try {
        if (task.failed) task.failed(error);
        else console.error("completion-service: accounting failed:", error);
      } catch {
        console.error("completion-service: accounting failed:", error);
      }
    }
  }
}
