/** Health and Prometheus metrics (docs/operations.md); the log sink of usage events. */
import { expect, test } from "bun:test";
import { flushAfterResponse } from "../../src/completion/after-response";
import { DEMO_MAPPING } from "../../src/config/demo-mapping";
import { parseSettings } from "../../src/config/settings";
import { silentLogger } from "../../src/observability/logger";
import { CompletionService } from "../../src/service";
import { LogUsageSink } from "../../src/usage/log-sink";
import { readNdjson } from "../support/ndjson";
import { staticMappingSource, startService } from "../support/service-harness";

test("health is 503 before the mapping is loaded, ok after, 503 while draining", async () => {
  const service = new CompletionService({
    settings: parseSettings({}),
    logger: silentLogger,
    mappingSource: staticMappingSource(DEMO_MAPPING),
    sink: new LogUsageSink(() => {}),
  });
  service.listen(0, "127.0.0.1");
  const health = () => fetch(`http://127.0.0.1:${service.port}/api/v1/health`);
  const before = await health();
  expect(before.status).toBe(503);
  const completion = await fetch(`http://127.0.0.1:${service.port}/api/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "demo", messages: [{ role: "user", content: "hi" }] }),
  });
  expect(completion.status).toBe(503);
  expect(((await completion.json()) as any).code).toBe("unavailable");
  await service.loadMapping();
  const after = await health();
  expect(after.status).toBe(200);
  expect(await after.json()).toMatchObject({
    status: "ok",
    checks: { mapping: { status: "ok", models: 2 }, usageEvents: { sink: "log", state: "ok", pending: 0 } },
  });
  const stopping = service.stop(200);
  const draining = await health().catch(() => null);
  if (draining) expect(draining.status).toBe(503);
  await stopping;
});

test("metrics count requests, tokens, time to first token and the gateway's own overhead", async () => {
  const svc = await startService({ mapping: DEMO_MAPPING });
  try {
    await readNdjson(await svc.post({ model: "demo", messages: [{ role: "user", content: "hi" }], stream: true }));
    await (await svc.post({ model: "demo", messages: [{ role: "user", content: "hi" }] })).json();
    await (await svc.post({ model: "demo", messages: [{ role: "user", content: "hi" }], tools: [{ name: "lookup" }] })).json();
    const res = await fetch(`${svc.url}/metrics`);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    for (const line of [
      'completion_requests_total{model="demo",provider="mock",api="completions",stream="true",status="success"} 1',
      'completion_requests_total{model="demo",provider="mock",api="completions",stream="false",status="success"} 2',
      'completion_tokens_total{model="demo",provider="mock",api="completions",kind="output"}',
      'completion_time_to_first_token_seconds_count{model="demo",provider="mock",api="completions"} 1',
      'completion_request_duration_seconds_count{model="demo",provider="mock",api="completions",stream="false"} 2',
      'completion_gateway_overhead_seconds_count{stream="true"} 1',
      "completion_active_streams 0",
      "completion_usage_events_pending",
      "completion_upstream_errors_total",
      "process_cpu_seconds_total",
      "nodejs_eventloop_lag_seconds",
    ]) {
      expect(text).toContain(line);
    }
  } finally {
    await svc.stop();
  }
});

test("the mock answers with a tool call when the request offers tools", async () => {
  const svc = await startService({ mapping: DEMO_MAPPING });
  try {
    const body: any = await (
      await svc.post({ model: "demo", messages: [{ role: "user", content: "weather?" }], tools: [{ name: "get_weather" }] })
    ).json();
    expect(body.output).toEqual([{ type: "tool_call", id: expect.any(String), name: "get_weather", arguments: '{"input":"weather?"}' }]);
    expect(body.finishReason).toBe("tool_calls");
  } finally {
    await svc.stop();
  }
});

test("the log sink writes one JSON line per usage event", async () => {
  const lines: string[] = [];
  const svc = await startService({
    mapping: DEMO_MAPPING,
    sink: new LogUsageSink((l) => lines.push(l)),
    env: { EVENTS_INCLUDE_MESSAGES: "false" },
  });
  try {
    await (await svc.post({ model: "demo", messages: [{ role: "user", content: "secret words" }], context: { userId: "u-1" } })).json();
    flushAfterResponse(); // the event reaches the sink a turn after the answer
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith("\n")).toBe(true);
    const { event } = JSON.parse(lines[0]!);
    expect(event).toMatchObject({
      model: "demo",
      provider: "mock",
      status: "success",
      messages: null,
      context: { userId: "u-1" },
      auth: null,
    });
    expect(lines[0]).not.toContain("secret words");
  } finally {
    await svc.stop();
  }
});
