import type { SinkHealth, UsageEvent, UsageSink } from "./usage-event";

/** Used when RABBITMQ_URL is unset: one JSON line per event on stdout. */
export class LogUsageSink implements UsageSink {
  constructor(
    private readonly write: (line: string) => void = (line) => process.stdout.write(line),
    private readonly onPublished: () => void = () => {},
  ) {}

  publish(event: UsageEvent): void {
    this.write(`{"kind":"usage_event","event":${JSON.stringify(event)}}\n`);
    this.onPublished();
  }

  health(): SinkHealth {
    return { sink: "log", state: "ok", pending: 0 };
  }

  async close(): Promise<void> {}
}
