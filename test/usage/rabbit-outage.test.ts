/**
 * The broker away: down at start-up, crashed and restarted under load, down at shutdown.
 * Completions keep working, and no usage event is lost. A private node, killed and restarted.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSettings } from "../../src/config/settings";
import { silentLogger } from "../../src/observability/logger";
import { createMetrics } from "../../src/observability/metrics";
import { createRabbitSink } from "../../src/usage/rabbit-sink-factory";
import type { RabbitUsageSink } from "../../src/usage/rabbit-usage-sink";
import { createPrivateBroker, type PrivateBroker } from "../support/rabbitmq";
import { complete, counter, health, RecordingSink, startService, usageEvent, waitFor } from "../support/usage-harness";
import { bindUsageQueue, consumeUsageEvents, idsOf, untilAllOf } from "../support/usage-queue";

const FAST = { reconnectInitialMs: 100, reconnectMaxMs: 1_000, retryDelayMinMs: 100, retryDelayMaxMs: 500, spillAfterMs: 300 };

let broker: PrivateBroker;
const scratch: string[] = [];
const sinks: RabbitUsageSink[] = [];

beforeAll(async () => {
  // Not started: the first test starts the service with the broker down.
  broker = await createPrivateBroker({ start: false });
});

afterAll(async () => {
  await Promise.all(sinks.map((s) => s.close(1_000)));
  await broker?.dispose();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
}, 60_000);

function setup(name: string, spoolDir = mkdtempSync(join(tmpdir(), "usage-spool-"))) {
  scratch.push(spoolDir);
  const settings = parseSettings({
    RABBITMQ_URL: broker.url,
    RABBITMQ_EXCHANGE: `test.outage.${name}`,
    EVENTS_SPOOL_DIR: spoolDir,
  });
  return { settings, spoolDir, queue: `billing.outage.${name}`, metrics: createMetrics({ defaultMetrics: false }) };
}

async function sinkFor(s: ReturnType<typeof setup>): Promise<RabbitUsageSink> {
  const sink = await createRabbitSink(s.settings, silentLogger, s.metrics, FAST);
  sinks.push(sink);
  return sink;
}

function spooledLines(dir: string): number {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ndjson"))
    .reduce((n, f) => n + readFileSync(join(dir, f), "utf8").split("\n").filter(Boolean).length, 0);
}

describe("usage events while the broker is away", () => {
  test("broker down at start-up: the service starts degraded, events spool, and go out once it is up", async () => {
    const s = setup("startup");
    const recorder = new RecordingSink(await sinkFor(s));
    const { service, base } = await startService({ settings: s.settings, sink: recorder, logger: silentLogger, metrics: s.metrics });
    try {
      const h = await health(base);
      expect(h.status).toBe("degraded");
      expect(h.checks.usageEvents.state).toBe("degraded");

      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => complete(base, { requestId: `startup-${i}`, stream: i % 2 === 0 })),
      );
      expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
      await waitFor("the events to be spooled", async () => (await counter(s.metrics, "spooled")) === 20, 5_000);
      expect(spooledLines(s.spoolDir)).toBe(20);
      const waiting = await health(base);
      expect(waiting.status).toBe("degraded");
      expect(waiting.checks.usageEvents.pending).toBe(20);
      expect(waiting.checks.usageEvents.detail).toContain("unreachable");
      const metricsText = await (await fetch(`${base}/metrics`)).text();
      expect(metricsText).toContain("completion_usage_events_pending 20");

      await broker.start();
      await bindUsageQueue(broker.url, {
        exchange: s.settings.rabbitmqExchange,
        routingKey: s.settings.rabbitmqRoutingKey,
        queue: s.queue,
      });
      const received = await consumeUsageEvents(broker.url, s.queue, untilAllOf(recorder.ids), 20_000);
      expect(new Set(idsOf(received))).toEqual(new Set(recorder.ids));
      await waitFor("health back to ok", async () => (await health(base)).status === "ok", 10_000);
      expect(readdirSync(s.spoolDir).filter((f) => f.endsWith(".ndjson"))).toEqual([]);
    } finally {
      await service.stop(1_000);
    }
  }, 60_000);

  test("broker killed and restarted under load: completions keep working, no event is missing", async () => {
    const s = setup("restart");
    await bindUsageQueue(broker.url, { exchange: s.settings.rabbitmqExchange, routingKey: s.settings.rabbitmqRoutingKey, queue: s.queue });
    const recorder = new RecordingSink(await sinkFor(s));
    const { service, base } = await startService({ settings: s.settings, sink: recorder, logger: silentLogger, metrics: s.metrics });
    try {
      await waitFor("connected", async () => (await health(base)).status === "ok");
      let running = true;
      let n = 0;
      const outcomes: { status: number; ms: number }[] = [];
      const worker = async () => {
        while (running) {
          const i = n++;
          outcomes.push(await complete(base, { requestId: `load-${i}`, stream: i % 2 === 1 }));
          await Bun.sleep(5);
        }
      };
      const workers = Array.from({ length: 4 }, worker);

      await Bun.sleep(1_000);
      await broker.kill();
      const killedAt = outcomes.length;
      await Bun.sleep(1_000);
      expect((await health(base)).status).toBe("degraded");
      await Bun.sleep(2_000);
      const duringOutage = outcomes.slice(killedAt);
      expect(duringOutage.length).toBeGreaterThan(20);
      await broker.start();
      await Bun.sleep(1_000);
      running = false;
      await Promise.all(workers);

      expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);
      // A dead broker never slows a completion down (the demo model answers at once).
      expect(Math.max(...duringOutage.map((o) => o.ms))).toBeLessThan(1_000);
      expect(recorder.events.length).toBe(outcomes.length);

      const received = await consumeUsageEvents(broker.url, s.queue, untilAllOf(recorder.ids), 30_000);
      const got = new Set(idsOf(received));
      expect(recorder.ids.filter((id) => !got.has(id))).toEqual([]);
      expect(got.size).toBe(recorder.ids.length);
      await waitFor("health back to ok", async () => (await health(base)).status === "ok", 10_000);
      expect(await counter(s.metrics, "spooled")).toBeGreaterThan(0);
    } finally {
      await service.stop(1_000);
    }
  }, 60_000);

  test("close() with the broker down keeps the events in the spool; the next start publishes them", async () => {
    const s = setup("shutdown");
    await bindUsageQueue(broker.url, { exchange: s.settings.rabbitmqExchange, routingKey: s.settings.rabbitmqRoutingKey, queue: s.queue });
    await broker.stop();
    const first = await sinkFor(s);
    const events = Array.from({ length: 50 }, () => usageEvent());
    for (const e of events) first.publish(e);
    // Right away: the events are still in memory, not yet spilled.
    await first.close(2_000);
    expect(spooledLines(s.spoolDir)).toBe(50);
    expect(await counter(s.metrics, "spooled")).toBe(50);
    // A straggler after close (a stream cancelled at the end of the grace period) is kept too.
    const straggler = usageEvent();
    first.publish(straggler);
    events.push(straggler);
    expect(spooledLines(s.spoolDir)).toBe(51);

    await broker.start();
    const second = await sinkFor(setup("shutdown", s.spoolDir));
    expect(second.health().pending).toBe(51);
    const received = await consumeUsageEvents(broker.url, s.queue, untilAllOf(events.map((e) => e.eventId)), 20_000);
    expect(new Set(idsOf(received))).toEqual(new Set(events.map((e) => e.eventId)));
    await waitFor("the spool to empty", () => spooledLines(s.spoolDir) === 0 && second.health().pending === 0);
  }, 60_000);
});
