/**
 * The real CompletionService on the demo mapping, with a usage sink of the test's choosing, and
 * the client calls the tests make against it.
 */
import { demoMappingSource } from "../../src/config/mapping-source";
import type { Settings } from "../../src/config/settings";
import type { Logger } from "../../src/observability/logger";
import type { Metrics } from "../../src/observability/metrics";
import { CompletionService } from "../../src/service";
import type { SinkHealth, UsageEvent, UsageSink } from "../../src/usage/usage-event";

/** Passes events on to the real sink and remembers what the service handed over. */
export class RecordingSink implements UsageSink {
  readonly events: UsageEvent[] = [];
  constructor(readonly inner: UsageSink) {}
  publish(event: UsageEvent): void {
    this.events.push(event);
    this.inner.publish(event);
  }
  health(): SinkHealth {
    return this.inner.health();
  }
  close(deadlineMs: number): Promise<void> {
    return this.inner.close(deadlineMs);
  }
  get ids(): string[] {
    return this.events.map((e) => e.eventId);
  }
}

export async function startService(options: {
  settings: Settings;
  sink: UsageSink;
  logger: Logger;
  metrics: Metrics;
}): Promise<{ service: CompletionService; base: string }> {
  const service = new CompletionService({ ...options, mappingSource: demoMappingSource() });
  await service.loadMapping();
  service.listen(0, "127.0.0.1");
  return { service, base: `http://127.0.0.1:${service.port}` };
}

export interface CompletionCall {
  model?: string;
  stream?: boolean;
  requestId: string;
  temperature?: number;
  context?: Record<string, unknown>;
}

export const USER_MESSAGES = [{ role: "user", content: "hi" }];

/** One completion, read to the end; returns the HTTP status and the time it took. */
export async function complete(base: string, call: CompletionCall): Promise<{ status: number; ms: number; body: string }> {
  const started = performance.now();
  const response = await fetch(`${base}/api/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-request-id": call.requestId },
    body: JSON.stringify({
      model: call.model ?? "demo",
      messages: USER_MESSAGES,
      stream: call.stream ?? false,
      ...(call.temperature !== undefined && { temperature: call.temperature }),
      ...(call.context && { context: call.context }),
    }),
  });
  const body = await response.text();
  return { status: response.status, ms: performance.now() - started, body };
}

/** A streaming completion of the slow demo model, abandoned by the client after its first chunk. */
export async function cancelMidStream(base: string, requestId: string): Promise<number> {
  const controller = new AbortController();
  const response = await fetch(`${base}/api/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-request-id": requestId },
    body: JSON.stringify({ model: "demo-slow", messages: USER_MESSAGES, stream: true }),
    signal: controller.signal,
  });
  const reader = response.body!.getReader();
  await reader.read();
  controller.abort();
  await reader.cancel().catch(() => {});
  return response.status;
}

export async function health(base: string): Promise<{ status: string; checks: { usageEvents: SinkHealth } }> {
  return (await fetch(`${base}/api/v1/health`)).json() as Promise<{ status: string; checks: { usageEvents: SinkHealth } }>;
}

/** Polls until the condition holds; fails the test with `what` when it does not in time. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await Bun.sleep(25);
  }
}

export async function counter(metrics: Metrics, result: "published" | "failed" | "spooled"): Promise<number> {
  const metric = await metrics.usageEvents.get();
  return metric.values.find((v) => v.labels.result === result)?.value ?? 0;
}

export async function pendingGauge(metrics: Metrics): Promise<number> {
  return (await metrics.usageEventsPending.get()).values[0]?.value ?? 0;
}

/** A usage event as the service would make it, for tests that publish to the sink directly. */
export function usageEvent(overrides: Partial<UsageEvent> = {}): UsageEvent {
  return {
    eventId: crypto.randomUUID(),
    requestId: crypto.randomUUID(),
    model: "demo",
    provider: "mock",
    providerId: "demo",
    deploymentName: "demo",
    inputTokens: 3,
    outputTokens: 40,
    totalTokens: 43,
    reasoningTokens: 0,
    cachedInputTokens: 0,
    usageSource: "provider",
    cost: null,
    stream: false,
    temperature: null,
    topP: null,
    topK: null,
    maxOutputTokens: null,
    responseFormat: null,
    toolChoice: null,
    toolsCount: 0,
    status: "success",
    finishReason: "stop",
    error: null,
    durationMs: 1,
    timeToFirstTokenMs: null,
    timestamp: new Date().toISOString(),
    messages: USER_MESSAGES,
    auth: null,
    context: null,
    attempts: [],
    api: "completions",
    ...overrides,
  };
}
