/**
 * The orchestrator's probes over real HTTP: liveness says only that the process runs; readiness
 * says whether to send traffic (the mapping is loaded, the service is not draining).
 */
import { expect, test } from "bun:test";
import { parseSettings } from "../../src/config/settings";
import { silentLogger } from "../../src/observability/logger";
import { CompletionService } from "../../src/service";
import { LogUsageSink } from "../../src/usage/log-sink";
import { staticMappingSource } from "../support/service-harness";
import { startService } from "../support/guarded-service";

/** Streams of ~40 s: the service drains for as long as the test needs; the test cancels the stream. */
const SLOW_MAPPING = {
  providers: { slow: { type: "mock", chunkSize: 5, chunkDelayMs: 1000 } },
  models: { slow: { strategy: "fallback", targets: [{ provider: "slow", deploymentName: "slow" }] } },
};

test("ready is 503 before the mapping loads and while draining; live stays 200 throughout", async () => {
  const service = new CompletionService({
    settings: parseSettings({}),
    logger: silentLogger,
    mappingSource: staticMappingSource(SLOW_MAPPING),
    sink: new LogUsageSink(() => {}),
  });
  service.listen(0, "127.0.0.1");
  const base = `http://127.0.0.1:${service.port}`;
  const probe = async (which: "live" | "ready") => {
    const res = await fetch(`${base}/api/v1/health/${which}`);
    return { status: res.status, body: await res.json() };
  };

  expect(await probe("live")).toEqual({ status: 200, body: { status: "alive" } });
  expect(await probe("ready")).toEqual({ status: 503, body: { status: "unavailable" } });

  await service.loadMapping();
  expect(await probe("ready")).toEqual({ status: 200, body: { status: "ready" } });
  expect(await probe("live")).toEqual({ status: 200, body: { status: "alive" } });

  // An open stream keeps the server up while it drains.
  const client = new AbortController();
  const stream = await fetch(`${base}/api/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "slow", stream: true, messages: [{ role: "user", content: "hi" }] }),
    signal: client.signal,
  });
  expect(stream.status).toBe(200);
  const stopped = service.stop(60_000);
  expect(await probe("ready")).toEqual({ status: 503, body: { status: "unavailable" } });
  expect(await probe("live")).toEqual({ status: 200, body: { status: "alive" } });
  client.abort();
  await stopped;
}, 30_000);

test("live and ready need no credentials, and ignore bad ones", async () => {
  const svc = await startService({ AUTH_MODE: "api_key", API_KEYS: "probe-routes-key-0123456789" });
  try {
    for (const path of ["/api/v1/health/live", "/api/v1/health/ready"]) {
      const credentials: Record<string, string>[] = [{}, { authorization: "Bearer garbage" }, { "x-api-key": "garbage" }];
      for (const headers of credentials) {
        expect((await svc.get(path, headers)).status).toBe(200);
      }
    }
    expect((await svc.complete()).response.status).toBe(401);
  } finally {
    await svc.stop();
  }
});
