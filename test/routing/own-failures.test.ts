/**
 * A failure of the service's own before anything was sent is not the upstream's: it is answered
 * at once (our 500), never retried, and never counted against the target's circuit — otherwise one
 * client could open a target's circuit for every client.
 */
import { afterEach, expect, test } from "bun:test";
import { startOpenAIFake } from "../fakes/openai/openai-fake";
import { startService, type Harness } from "../support/service-harness";
import { createLogger } from "../../src/observability/logger";
import type { RoutingOptions } from "../../src/routing/routing";

/** Circuit breaking on (5 failures open it for 30 s), retries fast. */
const routing: RoutingOptions = { retry: { baseDelayMs: 1, maxDelayMs: 2 } };
const user = [{ role: "user", content: "Hi" }];
type Fake = Awaited<ReturnType<typeof startOpenAIFake>>;
let fake: Fake;
let svc: Harness;
afterEach(async () => {
  await svc.stop();
  await fake.close();
});

async function start(provider: Record<string, unknown> = {}, logLines?: string[]): Promise<void> {
  fake = await startOpenAIFake();
  fake.answer(() => ({ text: ["fine"], usage: { prompt_tokens: 1, completion_tokens: 1 } }));
  svc = await startService({
    mapping: {
      providers: { p: { type: "openai", apiKey: "k", baseUrl: `${fake.url}/v1`, ...provider } },
      models: { m: { targets: [{ provider: "p", deploymentName: "gpt-4o" }] } },
    },
    env: { BODY_LIMIT_BYTES: String(64 * 1024 * 1024) },
    routing,
    ...(logLines && { logger: createLogger("debug", {}, (line) => logLines.push(line)) }),
  });
}

/** A JSON schema `depth` objects deep, as text (too deep for JSON.stringify to build it here). */
function nestedSchema(depth: number): string {
  return `${'{"type":"object","properties":{"a":'.repeat(depth)}{"type":"string"}${"}}".repeat(depth)}`;
}

async function metric(name: string): Promise<string[]> {
  return (await (await fetch(`${svc.url}/metrics`)).text()).split("\n").filter((l) => l.startsWith(name));
}

test("a schema too deep to serialise (30,000 levels) is answered without a call, and leaves the circuit closed for everyone", async () => {
  await start();
  const deep = `{"model":"m","messages":${JSON.stringify(user)},"responseFormat":{"type":"json_schema","name":"deep","schema":${nestedSchema(30_000)}}}`;
  // Two requests, three attempts each if they were retried: enough to open the circuit.
  for (let i = 0; i < 2; i++) {
    const res = await svc.post(deep);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(501);
    expect(res.status).not.toBe(404);
  }
  expect(fake.requests).toHaveLength(0);
  expect(await metric('completion_target_state{provider="openai",provider_id="p"')).toEqual([
    'completion_target_state{provider="openai",provider_id="p",deployment="gpt-4o"} 0',
  ]);
  const res = await svc.post({ model: "m", messages: user });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { outputText: string }).outputText).toBe("fine");
}, 60_000); // a body this deep takes the service a while to read and check

test("any failure of ours before the send is a 500, tried once, and the upstream stays healthy", async () => {
  // A header value fetch refuses to send: the request fails in our process, not on the network.
  const logLines: string[] = [];
  await start({ headers: { "x-tenant": "a\r\nb" } }, logLines);
  for (let i = 0; i < 6; i++) {
    const res = await svc.post({ model: "m", messages: user });
    expect(res.status).toBe(500);
    const body = await res.json();
    expect(body).toMatchObject({ code: "internal_error", message: "the service failed to send the request to openai" });
  }
  expect(fake.requests).toHaveLength(0);
  const events = await svc.sink.waitFor(6);
  expect(events).toHaveLength(6);
  expect(events.every((e) => e.attempts.length === 1)).toBe(true);
  expect(await metric('completion_target_state{provider="openai",provider_id="p"')).toEqual([
    'completion_target_state{provider="openai",provider_id="p",deployment="gpt-4o"} 0',
  ]);
  // What failed is in the log, for us.
  const failed = logLines.map((l) => JSON.parse(l)).find((l) => l.msg === "upstream attempt failed");
  expect(failed).toMatchObject({ code: "internal_error", retryable: false });
  expect(failed.detail).toContain("TypeError");
});
