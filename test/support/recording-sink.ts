import type { SinkHealth, UsageEvent, UsageSink } from "../../src/usage/usage-event";

/** A usage sink that keeps every event, for tests that check what was accounted. */
export class RecordingSink implements UsageSink {
  readonly events: UsageEvent[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];

  publish(event: UsageEvent): void {
    this.events.push(event);
    this.waiters = this.waiters.filter((w) => {
      if (this.events.length >= w.count) w.resolve();
      return this.events.length < w.count;
    });
  }

  /** Resolves once `count` events arrived (events are published when a completion ends). */
  waitFor(count: number, timeoutMs = 5000): Promise<UsageEvent[]> {
    if (this.events.length >= count) return Promise.resolve(this.events);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`expected ${count} usage events, got ${this.events.length}`)), timeoutMs);
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.events);
        },
      });
    });
  }

  /** The event of one request, waiting for it to be published. */
  async eventFor(requestId: string, timeoutMs = 2_000): Promise<UsageEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((e) => e.requestId === requestId);
      if (found) return found;
      if (Date.now() >= deadline) throw new Error(`no usage event for request ${requestId} within ${timeoutMs} ms`);
      await this.waitFor(this.events.length + 1, deadline - Date.now()).catch(() => {});
    }
  }

  health(): SinkHealth {
    return { sink: "log", state: "ok", pending: 0 };
  }

  async close(): Promise<void> {}
}
