/**
 * A usage event the broker refuses (larger than its max_message_size: it closes the channel) on a
 * real private node configured with a small limit: the events behind it still arrive, it is parked
 * in the dead-letter file and counted, the publisher does not spin, and a restart does not send it
 * first forever. Also: an event with a field that cannot be serialised still reaches the queue.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSettings, type Settings } from "../../src/config/settings";
import { createLogger } from "../../src/observability/logger";
import { createMetrics, type Metrics } from "../../src/observability/metrics";
import { createRabbitSink } from "../../src/usage/rabbit-sink-factory";
import type { RabbitUsageSink } from "../../src/usage/rabbit-usage-sink";
import type { UsageEvent } from "../../src/usage/usage-event";
import { createPrivateBroker, type PrivateBroker } from "../support/rabbitmq";
import { complete, counter, startService, usageEvent, waitFor } from "../support/usage-harness";
import { bindUsageQueue, consumeUsageEvents, idsOf, untilAllOf } from "../support/usage-queue";

const MAX_MESSAGE_SIZE = 64 * 1024;
const FAST = { reconnectInitialMs: 100, reconnectMaxMs: 1_000, retryDelayMinMs: 100, retryDelayMaxMs: 1_000, spillAfterMs: 300 };

let broker: PrivateBroker;
const scratch: string[] = [];
const sinks: RabbitUsageSink[] = [];

beforeAll(async () => {
  broker = await createPrivateBroker({ maxMessageSize: MAX_MESSAGE_SIZE });
}, 60_000);

afterAll(async () => {
  await Promise.all(sinks.map((s) => s.close(1_000)));
  await broker?.dispose();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
}, 60_000);

async function setup(name: string, env: Record<string, string> = {}) {
  const spoolDir = mkdtempSync(join(tmpdir(), "usage-spool-"));
  scratch.push(spoolDir);
  const suffix = `${name}.${crypto.randomUUID().slice(0, 8)}`;
  const settings = parseSettings({
    RABBITMQ_URL: broker.url,
    RABBITMQ_EXCHANGE: `test.refused.${suffix}`,
    EVENTS_SPOOL_DIR: spoolDir,
    // Our own cap above the broker's, so an event can be too large for it.
    EVENTS_MAX_MESSAGES_BYTES: String(4 * MAX_MESSAGE_SIZE),
    ...env,
  });
  const queue = `billing.${suffix}`;
  await bindUsageQueue(broker.url, { exchange: settings.rabbitmqExchange, routingKey: settings.rabbitmqRoutingKey, queue });
  return { settings, spoolDir, queue };
}

function captureLogs() {
  const lines: Record<string, any>[] = [];
  return { lines, logger: createLogger("info", {}, (line) => lines.push(JSON.parse(line))) };
}

async function sinkFor(settings: Settings, metrics: Metrics, logger = captureLogs().logger): Promise<RabbitUsageSink> {
  const sink = await createRabbitSink(settings, logger, metrics, FAST);
  sinks.push(sink);
  return sink;
}

/** An event well above the broker's limit (and below our own cap). */
function poison(): UsageEvent {
  return usageEvent({ messages: [{ role: "user", content: "p".repeat(2 * MAX_MESSAGE_SIZE) }] });
}

function deadLetters(spoolDir: string): Record<string, any>[] {
  const dir = join(spoolDir, "dead-letter");
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  return files.flatMap((f) =>
    readFileSync(join(dir, f), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
  );
}

async function deadLettered(metrics: Metrics): Promise<number> {
  return (await metrics.usageEvents.get()).values.find((v) => v.labels.result === "dead_lettered")?.value ?? 0;
}

describe("a usage event the broker refuses", () => {
  test("does not hold up the others: they arrive, it is parked in the dead-letter file, counted, and nothing spins", async () => {
    const { settings, spoolDir, queue } = await setup("poison");
    const metrics = createMetrics({ defaultMetrics: false });
    const logs = captureLogs();
    const sink = await sinkFor(settings, metrics, logs.logger);
    await waitFor("the sink to connect", () => sink.linkStatus().state === "connected");

    const before = Array.from({ length: 5 }, () => usageEvent());
    const bad = poison();
    const after = Array.from({ length: 5 }, () => usageEvent());
    for (const e of [...before, bad, ...after]) sink.publish(e);
    const good = [...before, ...after].map((e) => e.eventId);

    const received = await consumeUsageEvents(broker.url, queue, untilAllOf(good), 15_000);
    expect(new Set(idsOf(received))).toEqual(new Set(good));
    await waitFor("the refused event to be parked", async () => (await deadLettered(metrics)) === 1, 5_000);
    const parked = deadLetters(spoolDir);
    expect(parked).toHaveLength(1);
    expect(parked[0]!.event).toEqual(JSON.parse(JSON.stringify(bad)));
    expect(parked[0]!.reason).toContain(`larger than configured max size ${MAX_MESSAGE_SIZE}`);
    expect(typeof parked[0]!.deadLetteredAt).toBe("string");
    const line = logs.lines.find((l) => l.msg === "usage event refused; parked in the dead-letter file");
    expect(line).toMatchObject({ level: "error", eventId: bad.eventId, reason: expect.stringContaining("PRECONDITION_FAILED") });
    await waitFor("nothing pending", () => sink.health().pending === 0, 5_000);

    // Quiet afterwards: no more refusals, reconnects or publish attempts.
    const failedNow = await counter(metrics, "failed");
    const logsNow = logs.lines.length;
    await Bun.sleep(2_000);
    expect(await counter(metrics, "failed")).toBe(failedNow);
    expect(logs.lines.length).toBe(logsNow);
    expect(failedNow).toBeLessThanOrEqual(11);
    expect(logs.lines.filter((l) => l.msg === "RabbitMQ channel error")).toHaveLength(1);
    expect(await counter(metrics, "published")).toBe(10);
  }, 30_000);

  test("many refused in a row: each is parked, the good ones between them arrive, and refusals back off", async () => {
    const { settings, spoolDir, queue } = await setup("many");
    const metrics = createMetrics({ defaultMetrics: false });
    const logs = captureLogs();
    const sink = await sinkFor(settings, metrics, logs.logger);
    await waitFor("the sink to connect", () => sink.linkStatus().state === "connected");
    const events = Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? poison() : usageEvent()));
    for (const e of events) sink.publish(e);
    const good = events.filter((_, i) => i % 3 !== 0).map((e) => e.eventId);
    const received = await consumeUsageEvents(broker.url, queue, untilAllOf(good), 20_000);
    expect(new Set(idsOf(received))).toEqual(new Set(good));
    await waitFor("all four parked", async () => (await deadLettered(metrics)) === 4, 10_000);
    expect(new Set(deadLetters(spoolDir).map((d) => d.event.eventId))).toEqual(
      new Set(events.filter((_, i) => i % 3 === 0).map((e) => e.eventId)),
    );
    // One channel error per batch the broker refused, never a tight loop.
    expect(logs.lines.filter((l) => l.msg === "RabbitMQ channel error").length).toBeLessThanOrEqual(4);
  }, 40_000);

  test("first in the spool after a restart: the good events behind it still flow, and it is not sent again", async () => {
    const { settings, spoolDir, queue } = await setup("restart");
    const bad = poison();
    const good = Array.from({ length: 4 }, () => usageEvent());
    const lines = [bad, ...good].map((e) => JSON.stringify(e));
    writeFileSync(join(spoolDir, "usage-events-000000000001.ndjson"), `${lines.join("\n")}\n`);

    const metrics = createMetrics({ defaultMetrics: false });
    const sink = await sinkFor(settings, metrics);
    const received = await consumeUsageEvents(broker.url, queue, untilAllOf(good.map((e) => e.eventId)), 15_000);
    expect(new Set(idsOf(received))).toEqual(new Set(good.map((e) => e.eventId)));
    await waitFor("the spool to empty", () => sink.health().pending === 0, 5_000);
    // The delivered file is deleted just after its last confirm.
    await waitFor("the spool file to be deleted", () => readdirSync(spoolDir).filter((f) => f.endsWith(".ndjson")).length === 0, 5_000);
    expect(deadLetters(spoolDir).map((d) => d.event.eventId)).toEqual([bad.eventId]);
    await sink.close(2_000);

    // The next start finds nothing to send: the parked event is not in the spool any more.
    const again = await sinkFor(settings, createMetrics({ defaultMetrics: false }));
    expect(again.pending).toBe(0);
    await again.close(1_000);
  }, 30_000);
});

describe("a broker that refuses every publish", () => {
  test("(no write permission) parks nothing: events wait, refusals back off, and all go out once it is fixed", async () => {
    const { settings, spoolDir, queue } = await setup("no-write");
    await broker.ctl("set_permissions", "-p", "/", "guest", ".*", "^$", ".*");
    try {
      const metrics = createMetrics({ defaultMetrics: false });
      const logs = captureLogs();
      const sink = await sinkFor(settings, metrics, logs.logger);
      const events = Array.from({ length: 6 }, () => usageEvent());
      for (const e of events) sink.publish(e);
      await waitFor("a refusal", () => logs.lines.some((l) => l.msg === "RabbitMQ channel error"), 10_000);
      expect(logs.lines.find((l) => l.msg === "RabbitMQ channel error")!.error).toContain("ACCESS_REFUSED");
      await Bun.sleep(4_000);
      expect(await deadLettered(metrics)).toBe(0);
      expect(deadLetters(spoolDir)).toEqual([]);
      // Backing off (0.1 s doubling to 1 s here): about ten refusals in 4 s, not hundreds.
      expect(logs.lines.filter((l) => l.msg === "RabbitMQ channel error").length).toBeLessThanOrEqual(20);
      await broker.ctl("set_permissions", "-p", "/", "guest", ".*", ".*", ".*");
      const received = await consumeUsageEvents(broker.url, queue, untilAllOf(events.map((e) => e.eventId)), 15_000);
      expect(new Set(idsOf(received))).toEqual(new Set(events.map((e) => e.eventId)));
      expect(await deadLettered(metrics)).toBe(0);
    } finally {
      await broker.ctl("set_permissions", "-p", "/", "guest", ".*", ".*", ".*");
    }
  }, 40_000);
});

describe("a spooled event the AMQP client cannot encode", () => {
  test("an eventId over 255 bytes (a damaged spool) is parked at once; the rest flow and the connection stays", async () => {
    const { settings, spoolDir, queue } = await setup("unsendable");
    const bad = usageEvent({ eventId: "x".repeat(300) });
    const good = Array.from({ length: 3 }, () => usageEvent());
    writeFileSync(
      join(spoolDir, "usage-events-000000000001.ndjson"),
      `${[good[0], bad, ...good.slice(1)].map((e) => JSON.stringify(e)).join("\n")}\n`,
    );
    const metrics = createMetrics({ defaultMetrics: false });
    const logs = captureLogs();
    const sink = await sinkFor(settings, metrics, logs.logger);
    const received = await consumeUsageEvents(broker.url, queue, untilAllOf(good.map((e) => e.eventId)), 15_000);
    expect(new Set(idsOf(received))).toEqual(new Set(good.map((e) => e.eventId)));
    await waitFor("the spool to empty", () => sink.health().pending === 0, 5_000);
    const parked = deadLetters(spoolDir);
    expect(parked.map((d) => d.event.eventId)).toEqual([bad.eventId]);
    expect(parked[0]!.reason).toContain("messageId");
    expect(await deadLettered(metrics)).toBe(1);
    expect(logs.lines.filter((l) => l.msg === "RabbitMQ connection lost; reconnecting")).toHaveLength(0);
  }, 30_000);
});

describe("bounded events through RabbitMQ", () => {
  test("an event whose context cannot be serialised arrives without it, marked and counted", async () => {
    const { settings, queue } = await setup("unserialisable");
    const metrics = createMetrics({ defaultMetrics: false });
    const sink = await sinkFor(settings, metrics);
    let context: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 100_000; i++) context = { a: context };
    const event = usageEvent({ context, inputTokens: 5, outputTokens: 6, totalTokens: 11 });
    sink.publish(event);
    const [received] = await consumeUsageEvents(broker.url, queue, (r) => r.length >= 1, 10_000);
    expect(received!.body).toMatchObject({ eventId: event.eventId, inputTokens: 5, outputTokens: 6, context: null });
    expect((received!.body.truncated as any).context.reason).toBe("unserialisable");
    expect((await metrics.usageEventsDegraded.get()).values.find((v) => v.labels.reason === "unserialisable")?.value).toBe(1);
  });

  test("over HTTP: a prompt far above the broker's limit still gets its event delivered, its messages cut", async () => {
    const { settings, queue } = await setup("huge-prompt", { EVENTS_MAX_MESSAGES_BYTES: String(MAX_MESSAGE_SIZE / 2) });
    const metrics = createMetrics({ defaultMetrics: false });
    const sink = await sinkFor(settings, metrics);
    const { service, base } = await startService({ settings, sink, logger: captureLogs().logger, metrics });
    try {
      const response = await fetch(`${base}/api/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": "huge" },
        body: JSON.stringify({ model: "demo", messages: [{ role: "user", content: "\u00e9t\u00e9 ".repeat(200_000) }] }),
      });
      expect(response.status).toBe(200);
      expect((await complete(base, { requestId: "small" })).status).toBe(200);
      const received = await consumeUsageEvents(broker.url, queue, (r) => r.length >= 2, 10_000);
      const huge = received.find((r) => r.body.requestId === "huge")!.body;
      expect((huge.truncated as any).messages).toMatchObject({ reason: "too_large", limit: MAX_MESSAGE_SIZE / 2 });
      expect(Buffer.byteLength(JSON.stringify(huge.messages))).toBeLessThanOrEqual(MAX_MESSAGE_SIZE / 2);
      expect(received.find((r) => r.body.requestId === "small")!.body).not.toHaveProperty("truncated");
      expect(await deadLettered(metrics)).toBe(0);
    } finally {
      await service.stop(1_000);
    }
  });
});
