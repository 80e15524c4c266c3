/**
 * Every completion's usage event goes out, however hostile the request: a field that cannot be
 * serialised is left out, a huge one is cut to its cap, and either is marked in the event, counted
 * and logged. The log sink (no broker) and the service over HTTP; the RabbitMQ side is in
 * refused-events.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { parseSettings } from "../../src/config/settings";
import { createLogger } from "../../src/observability/logger";
import { createMetrics, type Metrics } from "../../src/observability/metrics";
import { createLogSink } from "../../src/usage/log-sink";
import type { UsageEvent } from "../../src/usage/usage-event";
import { startService, usageEvent, waitFor } from "../support/usage-harness";

/** `{ a: { a: … } }`, `depth` deep: more than the serialiser can take. */
export function deepObject(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

function logSink(env: Record<string, string> = {}) {
  const lines: string[] = [];
  const logs: Record<string, any>[] = [];
  const metrics = createMetrics({ defaultMetrics: false });
  const logger = createLogger("info", {}, (line) => logs.push(JSON.parse(line)));
  const settings = parseSettings(env);
  const sink = createLogSink(settings, logger, metrics, (line) => lines.push(line));
  const events = () =>
    lines
      .map((l) => JSON.parse(l))
      .filter((l) => l.kind === "usage_event")
      .map((l) => l.event as Record<string, any>);
  return { sink, settings, metrics, logger, logs, lines, events };
}

async function degraded(metrics: Metrics, reason: string): Promise<number> {
  return (await metrics.usageEventsDegraded.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

async function usageCounter(metrics: Metrics, result: string): Promise<number> {
  return (await metrics.usageEvents.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
}

describe("usage events that cannot be serialised as they are", () => {
  test("a context nested 100,000 deep: the event is published without it, marked, counted and logged once", async () => {
    const { sink, metrics, logs, events } = logSink();
    const event = usageEvent({ context: deepObject(100_000), inputTokens: 12, outputTokens: 34, totalTokens: 46 });
    sink.publish(event);

    expect(events()).toHaveLength(1);
    const published = events()[0]!;
    expect(published).toMatchObject({
      eventId: event.eventId,
      requestId: event.requestId,
      inputTokens: 12,
      outputTokens: 34,
      totalTokens: 46,
    });
    expect(published.context).toBeNull();
    expect(published.messages).toEqual(event.messages);
    expect(published.truncated).toEqual({ context: { reason: "unserialisable", error: expect.any(String) } });
    expect(await degraded(metrics, "unserialisable")).toBe(1);
    expect(await usageCounter(metrics, "published")).toBe(1);
    const warnings = logs.filter((l) => l.msg === "usage event published without part of its content");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: "warn", eventId: event.eventId, truncated: { context: { reason: "unserialisable" } } });
  });

  test("any other field the serialiser refuses (responseFormat, toolChoice, auth) is left out the same way", async () => {
    const { sink, metrics, events } = logSink();
    const cyclic: Record<string, unknown> = { type: "json_schema" };
    cyclic.schema = cyclic;
    const event = usageEvent({ responseFormat: cyclic, toolChoice: { name: 10n }, auth: { subject: 1n } as unknown as UsageEvent["auth"] });
    sink.publish(event);
    const published = events()[0]!;
    expect(published.eventId).toBe(event.eventId);
    expect([published.responseFormat, published.toolChoice, published.auth]).toEqual([null, null, null]);
    expect(Object.keys(published.truncated).sort()).toEqual(["auth", "responseFormat", "toolChoice"]);
    expect(await degraded(metrics, "unserialisable")).toBe(1);
  });

  test("an event that cannot be serialised even without its optional fields is counted as lost and logged with its figures", async () => {
    const { sink, metrics, logs, events } = logSink();
    const event = usageEvent({ inputTokens: 7, outputTokens: 8, totalTokens: 15 });
    (event as unknown as Record<string, unknown>).toJSON = () => {
      throw new Error("no JSON for this one");
    };
    sink.publish(event);
    expect(events()).toHaveLength(0);
    expect(await usageCounter(metrics, "lost")).toBe(1);
    expect(logs.find((l) => l.msg === "usage event lost: it cannot be published")).toMatchObject({
      level: "error",
      eventId: event.eventId,
      requestId: event.requestId,
      model: "demo",
      inputTokens: 7,
      outputTokens: 8,
      totalTokens: 15,
    });
  });
});

describe("usage event caps", () => {
  test("messages, error text and failed attempts are cut to their caps, measured in UTF-8 bytes of JSON", async () => {
    const { sink, metrics, events, lines } = logSink({ EVENTS_MAX_MESSAGES_BYTES: "65536", EVENTS_MAX_ERROR_BYTES: "1024" });
    // Invalid input bytes arrive as U+FFFD (3 bytes each in UTF-8), lone surrogates serialise as \uXXXX
    // (6 bytes each): counted in characters, either would be 3 to 6 times its cap on the wire.
    const replacement = "\ufffd".repeat(300_000);
    const surrogates = "\ud800".repeat(100_000);
    const event = usageEvent({
      status: "error",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: replacement },
        { role: "user", content: [{ type: "text", text: surrogates }] },
      ],
      error: { code: "upstream_error", message: "x".repeat(5_000_000) },
      attempts: [{ providerId: "a", deploymentName: "d", error: `upstream_error: ${"\u00e9".repeat(100_000)}` }],
    });
    sink.publish(event);

    const published = events()[0]!;
    expect(Buffer.byteLength(JSON.stringify(published.messages))).toBeLessThanOrEqual(65_536);
    expect(Buffer.byteLength(JSON.stringify(published.error))).toBeLessThanOrEqual(1024);
    expect(Buffer.byteLength(JSON.stringify(published.attempts))).toBeLessThanOrEqual(1024);
    expect(Buffer.byteLength(lines[0]!)).toBeLessThan(70_000);
    // Cut, not dropped: the structure and the short strings are whole, the long ones are prefixes.
    expect(published.messages[0]).toEqual({ role: "system", content: "be brief" });
    expect(published.messages[1].role).toBe("user");
    expect(replacement.startsWith(published.messages[1].content)).toBe(true);
    expect(published.messages[1].content.length).toBeGreaterThan(5_000);
    expect(surrogates.startsWith(published.messages[2].content[0].text)).toBe(true);
    expect(published.error.code).toBe("upstream_error");
    expect(published.attempts[0]).toMatchObject({ providerId: "a", deploymentName: "d" });
    expect(published.truncated).toEqual({
      messages: { reason: "too_large", bytes: expect.any(Number), limit: 65_536 },
      error: { reason: "too_large", bytes: expect.any(Number), limit: 1024 },
      attempts: { reason: "too_large", bytes: expect.any(Number), limit: 1024 },
    });
    expect(published.truncated.messages.bytes).toBeGreaterThan(1_500_000);
    expect(await degraded(metrics, "too_large")).toBe(1);
  });

  test("an ordinary event is published whole, with no truncated field", () => {
    const { sink, events } = logSink();
    const event = usageEvent({ context: { userId: "u1" } });
    sink.publish(event);
    expect(events()[0]).toEqual(JSON.parse(JSON.stringify(event)));
    expect(events()[0]).not.toHaveProperty("truncated");
  });

  test("over HTTP: a huge prompt gets its answer and an event with its messages cut to EVENTS_MAX_MESSAGES_BYTES", async () => {
    const { sink, settings, metrics, logger, events } = logSink({ EVENTS_MAX_MESSAGES_BYTES: "100000" });
    const { service, base } = await startService({ settings, sink, logger, metrics });
    try {
      const prompt = "word ".repeat(600_000); // 3 MB
      const response = await fetch(`${base}/api/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": "huge-prompt" },
        body: JSON.stringify({ model: "demo", messages: [{ role: "user", content: prompt }], context: { userId: "u1" } }),
      });
      expect(response.status).toBe(200);
      await waitFor("the usage event", () => events().length === 1, 5_000);
      const event = events()[0]!;
      expect(event).toMatchObject({ requestId: "huge-prompt", status: "success", context: { userId: "u1" } });
      expect(event.inputTokens).toBeGreaterThan(500_000);
      expect(Buffer.byteLength(JSON.stringify(event.messages))).toBeLessThanOrEqual(100_000);
      expect(event.truncated).toEqual({ messages: { reason: "too_large", bytes: expect.any(Number), limit: 100_000 } });
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(text).toContain('completion_usage_events_degraded_total{reason="too_large"} 1');
      expect(text).toContain('completion_usage_events_degraded_total{reason="unserialisable"} 0');
      expect(text).toContain('completion_usage_events_total{result="lost"} 0');
    } finally {
      await service.stop(1_000);
    }
  });
});
