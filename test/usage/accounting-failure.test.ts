/**
 * A usage sink that fails when handed an event (a sink bug, a closed stdout) does not make the event
 * vanish unseen: the completion is answered, the loss is counted and logged with what billing needs.
 */
import { expect, test } from "bun:test";
import { parseSettings } from "../../src/config/settings";
import { createLogger } from "../../src/observability/logger";
import { createMetrics } from "../../src/observability/metrics";
import type { SinkHealth, UsageEvent, UsageSink } from "../../src/usage/usage-event";
import { complete, startService, waitFor } from "../support/usage-harness";

/** A third-party sink with a bug: it throws on every event. */
class BrokenSink implements UsageSink {
  publish(_event: UsageEvent): void {
    throw new Error("sink is broken");
  }
  health(): SinkHealth {
    return { sink: "log", state: "ok", pending: 0 };
  }
  async close(): Promise<void> {}
}

test("a sink that throws: the answer is sent, the event counted as lost and logged with its figures", async () => {
  const logs: Record<string, any>[] = [];
  const metrics = createMetrics({ defaultMetrics: false });
  const logger = createLogger("info", {}, (line) => logs.push(JSON.parse(line)));
  const { service, base } = await startService({ settings: parseSettings({}), sink: new BrokenSink(), logger, metrics });
  try {
    expect((await complete(base, { requestId: "doomed" })).status).toBe(200);
    await waitFor("the loss to be logged", () => logs.some((l) => l.msg === "usage event lost: it cannot be published"), 5_000);
    const line = logs.find((l) => l.msg === "usage event lost: it cannot be published")!;
    expect(line).toMatchObject({ level: "error", requestId: "doomed", model: "demo", error: "sink is broken" });
    expect(line.inputTokens).toBeGreaterThan(0);
    expect(line.outputTokens).toBeGreaterThan(0);
    expect(typeof line.eventId).toBe("string");
    const lost = (await metrics.usageEvents.get()).values.find((v) => v.labels.result === "lost")?.value;
    expect(lost).toBe(1);
    // The completion is still accounted as finished.
    expect(logs.some((l) => l.msg === "completion finished" && l.requestId === "doomed")).toBe(true);
  } finally {
    await service.stop(1_000);
  }
});
