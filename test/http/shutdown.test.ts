/**
 * Shutdown drains every completion in flight, JSON as well as streams, for up to the grace period;
 * a stream that outlives it ends with `error` (`unavailable`), `usage`, `finish`. Every one of them
 * is accounted before the usage sink closes and the process exits.
 */
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeUpstream, type FakeUpstream } from "../fakes/fake-upstream";
import { grammarViolations, readNdjson } from "../support/ndjson";
import { startService, type Harness } from "../support/service-harness";

const MAIN = join(import.meta.dir, "../../src/main.ts");

/** An OpenAI-style upstream whose JSON answer takes `delayMs`. */
function slowJsonUpstream(delayMs: number): Promise<FakeUpstream> {
  return startFakeUpstream(() => ({
    status: 200,
    headers: { "content-type": "application/json" },
    body: [
      { delayMs },
      {
        write: JSON.stringify({
          id: "chatcmpl-1",
          object: "chat.completion",
          created: 1,
          model: "gpt-4o",
          choices: [{ index: 0, message: { role: "assistant", content: "worth the wait" }, finish_reason: "stop" }],
          usage: { prompt_tokens: 7, completion_tokens: 4, total_tokens: 11 },
        }),
      },
    ],
  }));
}

function mappingFor(upstream: FakeUpstream) {
  return {
    providers: {
      slow: { type: "openai", apiKey: "k", baseUrl: `${upstream.url}/v1` },
      // 40 chunks 100 ms apart: a 4 s stream.
      long: { type: "mock", text: "x".repeat(40), chunkSize: 1, chunkDelayMs: 100 },
    },
    models: {
      slow: { strategy: "fallback", targets: [{ provider: "slow", deploymentName: "gpt-4o" }] },
      long: { strategy: "fallback", targets: [{ provider: "long", deploymentName: "long" }] },
    },
  };
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

test("stop() lets a JSON request in flight finish and accounts it; a stream past the grace ends with error, usage, finish", async () => {
  const upstream = await slowJsonUpstream(800);
  cleanup.push(() => upstream.close());
  const svc: Harness = await startService({ mapping: mappingFor(upstream) });
  cleanup.push(() => svc.stop());

  const json = svc.post(
    { model: "slow", messages: [{ role: "user", content: "hi" }] },
    { headers: { "content-type": "application/json", "x-request-id": "json-1" } },
  );
  const stream = await svc.post(
    { model: "long", stream: true, messages: [{ role: "user", content: "hi" }] },
    { headers: { "content-type": "application/json", "x-request-id": "stream-1" } },
  );
  expect(stream.status).toBe(200);
  while (upstream.requests.length === 0) await Bun.sleep(10);

  const stopped = svc.service.stop(1500);
  const jsonAnswer = await json;
  expect(jsonAnswer.status).toBe(200);
  expect(((await jsonAnswer.json()) as any).outputText).toBe("worth the wait");

  const lines = await readNdjson(stream);
  await stopped;
  expect(grammarViolations(lines)).toEqual([]);
  const last3 = lines.slice(-3);
  expect(last3[0]).toEqual({ type: "error", code: "unavailable", message: "the service is shutting down" });
  expect(last3[1]!.type).toBe("usage");
  expect(last3[2]).toEqual({ type: "finish", finishReason: "error" });

  const jsonEvent = svc.sink.events.find((e) => e.requestId === "json-1");
  expect(jsonEvent).toMatchObject({ status: "success", inputTokens: 7, outputTokens: 4 });
  const streamEvent = svc.sink.events.find((e) => e.requestId === "stream-1");
  expect(streamEvent).toMatchObject({ status: "error", finishReason: "error", error: { code: "unavailable" } });
  expect(streamEvent!.outputTokens).toBeGreaterThan(0);
}, 15_000);

test("SIGTERM: a JSON request in flight gets its 200 and its usage event; a long stream ends with error, usage, finish", async () => {
  const upstream = await slowJsonUpstream(800);
  cleanup.push(() => upstream.close());
  const dir = mkdtempSync(join(tmpdir(), "shutdown-"));
  const mappingPath = join(dir, "mapping.json");
  writeFileSync(mappingPath, JSON.stringify(mappingFor(upstream)));
  const proc = Bun.spawn(["bun", MAIN], {
    env: {
      PATH: process.env.PATH!,
      HOME: process.env.HOME ?? "/tmp",
      PORT: "0",
      HOST: "127.0.0.1",
      LOCAL_MODEL_PROVIDERS_CONFIG_PATH: mappingPath,
      SHUTDOWN_GRACE_MS: "1500",
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  cleanup.push(async () => {
    proc.kill("SIGKILL");
    await proc.exited;
  });
  // Read stdout as it comes: the port from "listening", later the usage events.
  let output = "";
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const bytes of proc.stdout) output += decoder.decode(bytes, { stream: true });
  })();
  while (!output.includes('"msg":"listening"')) {
    if (proc.exitCode !== null) throw new Error(`service exited: ${await new Response(proc.stderr).text()}`);
    await Bun.sleep(20);
  }
  const port = JSON.parse(output.split("\n").find((l) => l.includes('"msg":"listening"'))!).port;
  const post = (body: unknown, requestId: string) =>
    fetch(`http://127.0.0.1:${port}/api/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": requestId },
      body: JSON.stringify(body),
    });

  const json = post({ model: "slow", messages: [{ role: "user", content: "hi" }] }, "json-sigterm");
  const stream = await post({ model: "long", stream: true, messages: [{ role: "user", content: "hi" }] }, "stream-sigterm");
  while (upstream.requests.length === 0) await Bun.sleep(10);
  proc.kill("SIGTERM");

  const jsonAnswer = await json;
  expect(jsonAnswer.status).toBe(200);
  expect(((await jsonAnswer.json()) as any).outputText).toBe("worth the wait");
  const lines = await readNdjson(stream);
  expect(grammarViolations(lines)).toEqual([]);
  expect(lines.slice(-3).map((l) => l.type)).toEqual(["error", "usage", "finish"]);
  expect(lines.at(-3)).toMatchObject({ code: "unavailable" });

  expect(await proc.exited).toBe(0);
  await reading;
  const events = output
    .split("\n")
    .filter((l) => l.startsWith('{"kind":"usage_event"'))
    .map((l) => JSON.parse(l).event);
  expect(events.find((e) => e.requestId === "json-sigterm")).toMatchObject({ status: "success", outputTokens: 4 });
  expect(events.find((e) => e.requestId === "stream-sigterm")).toMatchObject({ status: "error", error: { code: "unavailable" } });
}, 20_000);

test("a JSON request still waiting when the grace ends gets 503 unavailable, its upstream call ends, and it is accounted", async () => {
  const upstream = await slowJsonUpstream(5000);
  cleanup.push(() => upstream.close());
  const svc: Harness = await startService({ mapping: mappingFor(upstream) });
  cleanup.push(() => svc.stop());

  const json = svc.post(
    { model: "slow", messages: [{ role: "user", content: "hi" }] },
    { headers: { "content-type": "application/json", "x-request-id": "json-late" } },
  );
  while (upstream.requests.length === 0) await Bun.sleep(10);
  const started = performance.now();
  await svc.service.stop(300);
  expect(performance.now() - started).toBeLessThan(3000);

  const answer = await json;
  expect(answer.status).toBe(503);
  expect(await answer.json()).toMatchObject({ code: "unavailable", message: "the service is shutting down", requestId: "json-late" });
  await Promise.race([upstream.requests[0]!.ended, Bun.sleep(2000)]);
  expect(upstream.requests[0]!.clientClosed).toBe(true);
  expect(upstream.requests).toHaveLength(1); // not retried
  expect(svc.sink.events.find((e) => e.requestId === "json-late")).toMatchObject({
    status: "error",
    finishReason: "error",
    error: { code: "unavailable" },
  });
}, 15_000);
