/** A client that goes away aborts the upstream at once, for JSON requests too, and is accounted. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startOpenAIFake } from "../fakes/openai/openai-fake";
import { singleTargetMapping, startService, type Harness } from "../support/service-harness";

let fake: Awaited<ReturnType<typeof startOpenAIFake>>;
let svc: Harness;

beforeAll(async () => {
  fake = await startOpenAIFake();
  svc = await startService({ mapping: singleTargetMapping({ type: "openai", apiKey: "k", baseUrl: `${fake.url}/v1` }) });
});
afterAll(async () => {
  await svc.stop();
  await fake.close();
});

test("a JSON request whose client disconnects aborts the upstream call and is accounted as cancelled", async () => {
  // The upstream holds its answer back: the JSON body never comes while the client waits.
  fake.answer(() => ({ status: 200, headers: { "content-type": "application/json" }, hangBeforeHeaders: true }));
  const controller = new AbortController();
  const pending = svc
    .post({ model: "m", messages: [{ role: "user", content: "hi" }], context: { userId: "u-7" } }, { signal: controller.signal })
    .catch((e) => e);
  while (fake.requests.length === 0) await Bun.sleep(10);
  controller.abort();
  expect(await pending).toBeInstanceOf(Error);
  const upstream = fake.requests[0]!;
  await Promise.race([upstream.ended, Bun.sleep(3000)]);
  expect(upstream.clientClosed).toBe(true);
  const [event] = await svc.sink.waitFor(1);
  expect(event).toMatchObject({
    status: "cancelled",
    stream: false,
    finishReason: null,
    error: null,
    context: { userId: "u-7" },
    provider: "openai",
  });
  expect(event!.inputTokens).toBeGreaterThan(0);
  expect(event!.usageSource).toBe("estimated");
  const metrics = await (await fetch(`${svc.url}/metrics`)).text();
  expect(metrics).toContain('completion_requests_total{model="m",provider="openai",api="completions",stream="false",status="cancelled"} 1');
});
