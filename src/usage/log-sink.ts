import type { Settings } from "../config/settings";
import { silentLogger, type Logger } from "../observability/logger";
import type { Metrics } from "../observability/metrics";
import { DEFAULT_EVENT_LIMITS, eventLimitsFrom, UsageEventEncoder } from "./event-encoding";
import type { SinkHealth, UsageEvent, UsageSink } from "./usage-event";

/** Used when RABBITMQ_URL is unset: one JSON line per event on stdout. */
export class LogUsageSink implements UsageSink {
  constructor(
    private readonly write: (line: string) => void = (line) => process.stdout.write(line),
    private readonly onPublished: () => void = () => {},
    /** Bounds each event and reports what it had to cut; an event it cannot encode is logged as lost. */
    private readonly encoder = new UsageEventEncoder(DEFAULT_EVENT_LIMITS, silentLogger),
  ) {}

  publish(event: UsageEvent): void {
    const encoded = this.encoder.encode(event);
    if (!encoded) return;
    try {
      this.write(`{"kind":"usage_event","event":${encoded.line}}\n`);
    } catch (e) {
      this.encoder.reportLost(event, e);
      return;
    }
    this.onPublished();
  }

  health(): SinkHealth {
    return { sink: "log", state: "ok", pending: 0 };
  }

  async close(): Promise<void> {}
}

/** The log sink as the settings configure it, counting published events on `metrics`. */
export function createLogSink(settings: Settings, logger: Logger, metrics: Metrics, write?: (line: string) => void): LogUsageSink {
  const published = metrics.summed(metrics.usageEvents, { result: "published" });
  return new LogUsageSink(
    write,
    () => published.inc(),
    new UsageEventEncoder(eventLimitsFrom(settings), logger.child({ component: "usage-events" }), metrics),
  );
}
