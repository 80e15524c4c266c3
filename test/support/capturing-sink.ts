/** A UsageSink that keeps every event in memory, for tests to read back. */
import type { SinkHealth, UsageEvent, UsageSink } from "../../src/usage/usage-event";

export class CapturingSink implements UsageSink {
  readonly events: UsageEvent[] = [];
  private waiters: Array<() => void> = [];

  publish(event: UsageEvent): void {
    this.events.push(event);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  health(): SinkHealth {
    return { sink: "log", state: "ok", pending: 0 };
  }

  async close(): Promise<void> {}

  /** The event of one request, waiting for it to be published. */
  async eventFor(requestId: string, timeoutMs = 2_000): Promise<UsageEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((e) => e.requestId === requestId);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no usage event for request ${requestId} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
