/**
 * `completion-service healthcheck`, the container's HEALTHCHECK: run as a real process against a
 * running service (ready, then draining) and against a port where nothing listens.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { parseSettings } from "../../src/config/settings";
import { silentLogger } from "../../src/observability/logger";
import { CompletionService } from "../../src/service";
import { LogUsageSink } from "../../src/usage/log-sink";
import { staticMappingSource } from "../support/service-harness";

const main = join(import.meta.dir, "../../src/main.ts");

async function healthcheck(port: number | string): Promise<{ exitCode: number; stdout: string; seconds: number }> {
  const started = performance.now();
  const proc = Bun.spawn(["bun", "run", main, "healthcheck"], {
    env: { PATH: process.env.PATH, PORT: String(port) },
    stdout: "pipe",
    stderr: "pipe",
  });
  const stdout = await new Response(proc.stdout).text();
  const exitCode = await proc.exited;
  return { exitCode, stdout, seconds: (performance.now() - started) / 1000 };
}

async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const p = s.port!;
  s.stop(true);
  return p;
}

/** Streams of ~40 s: the service drains for as long as the test needs; the test cancels the stream. */
const SLOW_MAPPING = {
  providers: { slow: { type: "mock", chunkSize: 5, chunkDelayMs: 1000 } },
  models: { slow: { strategy: "fallback", targets: [{ provider: "slow", deploymentName: "slow" }] } },
};

test("exits 0 with one line while the service is ready, 1 while it drains", async () => {
  const service = new CompletionService({
    settings: parseSettings({}),
    logger: silentLogger,
    mappingSource: staticMappingSource(SLOW_MAPPING),
    sink: new LogUsageSink(() => {}),
  });
  await service.loadMapping();
  service.listen(0, "127.0.0.1");
  const port = service.port;
  const ready = await healthcheck(port);
  expect(ready.exitCode).toBe(0);
  expect(ready.stdout).toBe(`healthcheck: ready (http://127.0.0.1:${port}/api/v1/health/ready)\n`);

  // An open stream keeps the server up while it drains.
  const client = new AbortController();
  const stream = await fetch(`http://127.0.0.1:${port}/api/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "slow", stream: true, messages: [{ role: "user", content: "hi" }] }),
    signal: client.signal,
  });
  expect(stream.status).toBe(200);
  const stopped = service.stop(60_000);
  const draining = await healthcheck(port);
  expect(draining.exitCode).toBe(1);
  expect(draining.stdout).toBe(`healthcheck: not ready, http://127.0.0.1:${port}/api/v1/health/ready answered 503\n`);
  client.abort();
  await stopped;
}, 30_000);

test("exits 1 with one line, quickly, when nothing listens", async () => {
  const port = await freePort();
  const result = await healthcheck(port);
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toBe(
    `healthcheck: not ready, http://127.0.0.1:${port}/api/v1/health/ready: connection refused (nothing listening)\n`,
  );
  expect(result.seconds).toBeLessThan(10);
}, 30_000);

test("exits 1 naming the problem when PORT is not a port", async () => {
  const result = await healthcheck("http");
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toBe('healthcheck: PORT must be a port number, got "http"\n');
}, 30_000);
