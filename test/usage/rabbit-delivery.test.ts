/**
 * Usage events through a real RabbitMQ node (a private one: some tests close its connections):
 * what billing receives, and retries when the broker refuses or drops publishes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSettings, type Settings } from "../../src/config/settings";
import { createLogger, silentLogger } from "../../src/observability/logger";
import { createMetrics, type Metrics } from "../../src/observability/metrics";
import { createRabbitSink } from "../../src/usage/rabbit-sink-factory";
import type { RabbitUsageSink } from "../../src/usage/rabbit-usage-sink";
import { createPrivateBroker, type PrivateBroker } from "../support/rabbitmq";
import {
  cancelMidStream,
  complete,
  counter,
  health,
  pendingGauge,
  RecordingSink,
  startService,
  usageEvent,
  USER_MESSAGES,
  waitFor,
} from "../support/usage-harness";
import { bindUsageQueue, consumeUsageEvents, idsOf, untilAllOf } from "../support/usage-queue";

/** Quicker than production so the tests stay short; the logic is the same. */
const FAST = { reconnectInitialMs: 100, reconnectMaxMs: 1_000, retryDelayMinMs: 100, retryDelayMaxMs: 500, spillAfterMs: 300 };

let broker: PrivateBroker;
const scratch: string[] = [];
const sinks: RabbitUsageSink[] = [];

beforeAll(async () => {
  broker = await createPrivateBroker();
}, 60_000);

afterAll(async () => {
  await Promise.all(sinks.map((s) => s.close(1_000)));
  await broker?.dispose();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
}, 60_000);

function setup(name: string, env: Record<string, string> = {}) {
  const spoolDir = mkdtempSync(join(tmpdir(), "usage-spool-"));
  scratch.push(spoolDir);
  const suffix = `${name}.${crypto.randomUUID().slice(0, 8)}`;
  const settings = parseSettings({
    RABBITMQ_URL: broker.url,
    RABBITMQ_EXCHANGE: `test.usage.${suffix}`,
    RABBITMQ_ROUTING_KEY: "completion.transaction",
    EVENTS_SPOOL_DIR: spoolDir,
    ...env,
  });
  return { settings, spoolDir, queue: `billing.${suffix}`, metrics: createMetrics({ defaultMetrics: false }) };
}

async function sinkFor(settings: Settings, metrics: Metrics, logger = silentLogger): Promise<RabbitUsageSink> {
  const sink = await createRabbitSink(settings, logger, metrics, FAST);
  sinks.push(sink);
  return sink;
}

function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: createLogger("info", {}, (line) => lines.push(JSON.parse(line))) };
}

const CONTRACT_FIELDS = [
  "eventId",
  "requestId",
  "model",
  "provider",
  "providerId",
  "deploymentName",
  "inputTokens",
  "outputTokens",
  "totalTokens",
  "reasoningTokens",
  "cachedInputTokens",
  "usageSource",
  "stream",
  "temperature",
  "topP",
  "topK",
  "maxOutputTokens",
  "responseFormat",
  "toolChoice",
  "toolsCount",
  "status",
  "finishReason",
  "error",
  "durationMs",
  "timeToFirstTokenMs",
  "timestamp",
  "messages",
  "auth",
  "context",
] as const;

describe("usage events to RabbitMQ", () => {
  test("every completion — streamed, JSON, cancelled — gives exactly one event, with every field and AMQP property", async () => {
    const { settings, queue, metrics } = setup("delivery");
    await bindUsageQueue(broker.url, { exchange: settings.rabbitmqExchange, routingKey: settings.rabbitmqRoutingKey, queue });
    const recorder = new RecordingSink(await sinkFor(settings, metrics));
    const { service, base } = await startService({ settings, sink: recorder, logger: silentLogger, metrics });
    try {
      const calls = Array.from({ length: 24 }, (_, i) => ({
        requestId: `req-${i}-${crypto.randomUUID()}`,
        stream: i % 2 === 0,
        temperature: i % 3 === 0 ? 0.5 : undefined,
        context: { userId: `user-${i}`, conversationId: "conv-1" },
      }));
      const results = await Promise.all(calls.map((c) => complete(base, c)));
      expect(results.map((r) => r.status)).toEqual(calls.map(() => 200));
      const cancelIds = [`cancel-1-${crypto.randomUUID()}`, `cancel-2-${crypto.randomUUID()}`];
      for (const id of cancelIds) expect(await cancelMidStream(base, id)).toBe(200);
      const n = calls.length + cancelIds.length;

      await waitFor("one event per completion handed to the sink", () => recorder.events.length === n);
      const expected = new Set(recorder.ids);
      expect(expected.size).toBe(n);
      const received = await consumeUsageEvents(broker.url, queue, untilAllOf(expected));
      // Give a stray extra event time to show up before checking "exactly".
      await Bun.sleep(300);
      const late = await consumeUsageEvents(broker.url, queue, () => false, 200);
      const all = [...received, ...late];
      expect(new Set(idsOf(all))).toEqual(expected);

      const byRequest = new Map(all.map((r) => [String(r.body.requestId), r]));
      expect(new Set(byRequest.keys())).toEqual(new Set([...calls.map((c) => c.requestId), ...cancelIds]));
      for (const message of all) {
        const event = message.body;
        for (const field of CONTRACT_FIELDS) expect(event).toHaveProperty(field);
        expect(message.properties.deliveryMode).toBe(2);
        expect(message.properties.contentType).toBe("application/json");
        expect(message.properties.messageId).toBe(event.eventId);
        expect(message.properties.timestamp).toBe(Math.floor(Date.parse(String(event.timestamp)) / 1000));
        expect(message.exchange).toBe(settings.rabbitmqExchange);
        expect(message.routingKey).toBe(settings.rabbitmqRoutingKey);
        for (const tokens of ["inputTokens", "outputTokens", "totalTokens", "reasoningTokens", "cachedInputTokens"]) {
          expect(Number.isInteger(event[tokens])).toBe(true);
        }
        expect(event.totalTokens).toBe((event.inputTokens as number) + (event.outputTokens as number));
        expect(event.provider).toBe("mock");
        expect(event.messages).toEqual(USER_MESSAGES);
        expect(event.auth).toBeNull();
      }
      for (const call of calls) {
        const event = byRequest.get(call.requestId)!.body;
        expect(event).toMatchObject({
          model: "demo",
          providerId: "demo",
          deploymentName: "demo",
          stream: call.stream,
          status: "success",
          finishReason: "stop",
          error: null,
          temperature: call.temperature ?? null,
          topP: null,
          context: call.context,
          usageSource: "provider",
        });
        expect(event.inputTokens as number).toBeGreaterThan(0);
        expect(event.outputTokens as number).toBeGreaterThan(0);
        if (call.stream) expect(typeof event.timeToFirstTokenMs).toBe("number");
        else expect(event.timeToFirstTokenMs).toBeNull();
      }
      for (const id of cancelIds) {
        expect(byRequest.get(id)!.body).toMatchObject({ model: "demo-slow", stream: true, status: "cancelled" });
      }

      await waitFor("nothing pending", () => recorder.health().pending === 0);
      expect(await counter(metrics, "published")).toBe(n);
      expect(await counter(metrics, "spooled")).toBe(0);
      expect(await pendingGauge(metrics)).toBe(0);
      const h = await health(base);
      expect(h.status).toBe("ok");
      expect(h.checks.usageEvents).toMatchObject({ sink: "rabbitmq", state: "ok", pending: 0 });
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(text).toContain(`completion_usage_events_total{result="published"} ${n}`);
      expect(text).toContain("completion_usage_events_pending 0");
    } finally {
      await service.stop(1_000);
    }
  }, 30_000);

  test("publish is synchronous and cheap: 20,000 events queue in well under a second", async () => {
    const { settings, queue, metrics } = setup("burst");
    await bindUsageQueue(broker.url, { exchange: settings.rabbitmqExchange, routingKey: settings.rabbitmqRoutingKey, queue });
    const sink = await sinkFor(settings, metrics);
    const events = Array.from({ length: 20_000 }, () => usageEvent());
    const started = performance.now();
    for (const e of events) sink.publish(e);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(250);
    const received = await consumeUsageEvents(broker.url, queue, untilAllOf(events.map((e) => e.eventId)), 20_000);
    expect(new Set(idsOf(received))).toEqual(new Set(events.map((e) => e.eventId)));
  }, 30_000);

  test("nacked publishes (queue full, x-overflow reject-publish) are retried until the broker takes them", async () => {
    const { settings, queue, metrics } = setup("nack");
    await bindUsageQueue(broker.url, {
      exchange: settings.rabbitmqExchange,
      routingKey: settings.rabbitmqRoutingKey,
      queue,
      queueArguments: { "x-max-length": 10, "x-overflow": "reject-publish" },
    });
    const sink = await sinkFor(settings, metrics);
    const events = Array.from({ length: 60 }, () => usageEvent());
    for (const e of events) sink.publish(e);
    await waitFor("the broker to nack", async () => (await counter(metrics, "failed")) > 0);
    expect(sink.health().pending).toBeGreaterThan(0);

    // The consumer frees room slowly; the sink keeps retrying what was refused.
    const received = await consumeUsageEvents(broker.url, queue, untilAllOf(events.map((e) => e.eventId)), 20_000, {
      prefetch: 5,
      delayMs: 10,
    });
    expect(new Set(idsOf(received))).toEqual(new Set(events.map((e) => e.eventId)));
    await waitFor("nothing pending", () => sink.health().pending === 0);
    expect(await counter(metrics, "published")).toBe(events.length);
  }, 30_000);

  test("connections closed by the broker mid-publish: reconnect, and every event still arrives", async () => {
    const { settings, queue, metrics } = setup("closeall");
    await bindUsageQueue(broker.url, { exchange: settings.rabbitmqExchange, routingKey: settings.rabbitmqRoutingKey, queue });
    const { lines, logger } = captureLogs();
    const sink = await sinkFor(settings, metrics, logger);
    await waitFor("connected", () => sink.linkStatus().state === "connected");

    const ids: string[] = [];
    let publishing = true;
    const producer = (async () => {
      while (publishing) {
        for (let i = 0; i < 50; i++) {
          const e = usageEvent();
          ids.push(e.eventId);
          sink.publish(e);
        }
        await Bun.sleep(5);
      }
    })();
    await Bun.sleep(300);
    await broker.ctl("close_all_connections", "test: forced close");
    await waitFor(
      "the sink to notice and reconnect",
      () => lines.some((l) => l.msg === "RabbitMQ connection lost; reconnecting") && sink.linkStatus().state === "connected",
    );
    await Bun.sleep(300);
    publishing = false;
    await producer;

    const received = await consumeUsageEvents(broker.url, queue, untilAllOf(ids), 20_000);
    const got = new Set(idsOf(received));
    const missing = ids.filter((id) => !got.has(id));
    expect(missing.length).toBe(0);
    expect(got.size).toBe(ids.length);
    await waitFor("nothing pending", () => sink.health().pending === 0);
  }, 30_000);

  test("a broker that blocks publishing (memory alarm): events wait on disk, health says why, then go out", async () => {
    const { settings, queue, metrics, spoolDir } = setup("blocked");
    await bindUsageQueue(broker.url, { exchange: settings.rabbitmqExchange, routingKey: settings.rabbitmqRoutingKey, queue });
    const sink = await sinkFor(settings, metrics);
    await waitFor("connected", () => sink.linkStatus().state === "connected");
    const events = Array.from({ length: 60 }, () => usageEvent());
    try {
      await broker.ctl("set_vm_memory_high_watermark", "0.0000001");
      // The first ones may already be on the wire (a batch in flight waits for its confirms).
      for (const e of events.slice(0, 30)) sink.publish(e);
      await waitFor("the broker to block the sink", () => sink.linkStatus().state === "blocked");
      expect(sink.health()).toMatchObject({ state: "degraded" });
      expect(sink.health().detail).toContain("blocks publishing");
      for (const e of events.slice(30)) sink.publish(e);
      await waitFor("the waiting events to reach the spool", async () => (await counter(metrics, "spooled")) >= 30);
      expect(readdirSync(spoolDir).length).toBeGreaterThan(0);
    } finally {
      await broker.ctl("set_vm_memory_high_watermark", "0.4");
    }
    const received = await consumeUsageEvents(broker.url, queue, untilAllOf(events.map((e) => e.eventId)));
    expect(new Set(idsOf(received))).toEqual(new Set(events.map((e) => e.eventId)));
    await waitFor("nothing pending", () => sink.health().pending === 0);
    expect(sink.health().state).toBe("ok");
  }, 30_000);

  test("unroutable events (no queue bound yet) are kept and retried, and health says why", async () => {
    const { settings, queue, metrics } = setup("unroutable");
    const sink = await sinkFor(settings, metrics);
    const events = Array.from({ length: 5 }, () => usageEvent());
    for (const e of events) sink.publish(e);
    await waitFor("the broker to return them", async () => (await counter(metrics, "failed")) > 0);
    const h = sink.health();
    expect(h.state).toBe("degraded");
    expect(h.detail).toContain("no queue bound");
    expect(h.pending).toBe(5);

    await bindUsageQueue(broker.url, { exchange: settings.rabbitmqExchange, routingKey: settings.rabbitmqRoutingKey, queue });
    const received = await consumeUsageEvents(broker.url, queue, untilAllOf(events.map((e) => e.eventId)));
    expect(new Set(idsOf(received))).toEqual(new Set(events.map((e) => e.eventId)));
  }, 30_000);

  test("a damaged spool (partial last line) delivers the rest and logs what was lost", async () => {
    const { settings, queue, metrics, spoolDir } = setup("damaged");
    await bindUsageQueue(broker.url, { exchange: settings.rabbitmqExchange, routingKey: settings.rabbitmqRoutingKey, queue });
    const events = Array.from({ length: 5 }, () => usageEvent());
    const torn = JSON.stringify(usageEvent()).slice(0, 60);
    const file = join(spoolDir, "usage-events-000000000003.ndjson");
    writeFileSync(file, `${events.map((e) => JSON.stringify(e)).join("\n")}\n${torn}`);

    const { lines, logger } = captureLogs();
    const sink = await sinkFor(settings, metrics, logger);
    expect(sink.health().pending).toBe(6); // before reading, the torn line still counts
    const received = await consumeUsageEvents(broker.url, queue, untilAllOf(events.map((e) => e.eventId)));
    expect(new Set(idsOf(received))).toEqual(new Set(events.map((e) => e.eventId)));
    const warning = lines.find((l) => l.level === "warn" && String(l.msg).includes("partial line"));
    expect(warning).toBeDefined();
    expect(String(warning!.msg)).toContain("usage event is lost");
    expect(warning!.file).toBe(file);
    await waitFor("the delivered file to be removed", () => readdirSync(spoolDir).length === 0);
    expect(sink.health()).toMatchObject({ state: "ok", pending: 0 });
  }, 30_000);
});
