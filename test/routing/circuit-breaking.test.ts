/**
 * Circuit breaking per target over real HTTP: open after 5 consecutive retryable failures, skipped
 * during the 30 s cool-down (an injected clock), one half-open probe, closed again; 503 when every
 * circuit is open; visible in /metrics and /api/v1/health.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { openAIError, startOpenAIFake } from "../fakes/openai/openai-fake";
import { readNdjson, streamedText } from "../support/ndjson";
import { startService } from "../support/service-harness";
import type { RoutingOptions } from "../../src/routing/routing";
import { startTwoUpstreams, twoUpstreamMapping, user, type TwoUpstreams } from "./two-upstreams";

let now = 1_000_000;
const routing: RoutingOptions = { retry: { baseDelayMs: 1, maxDelayMs: 2 }, now: () => now };
let u: TwoUpstreams;
afterEach(() => u.close());

async function start(): Promise<TwoUpstreams> {
  u = await startTwoUpstreams({ routing });
  return u;
}

const ok = (text: string) => () => ({ text: [text], usage: { prompt_tokens: 1, completion_tokens: 1 } });
const failing = () => openAIError(500, "The server had an error", "server_error");

async function text(body: Record<string, unknown> = {}): Promise<string> {
  const res = await u.svc.post({ model: "m", messages: user, stream: true, ...body });
  expect(res.status).toBe(200);
  return streamedText(await readNdjson(res));
}

async function targetState(providerId: string, deployment: string): Promise<number | null> {
  const metrics = await (await fetch(`${u.svc.url}/metrics`)).text();
  const line = metrics
    .split("\n")
    .find((l) => l.startsWith(`completion_target_state{provider="openai",provider_id="${providerId}",deployment="${deployment}"}`));
  return line ? Number(line.split(" ").pop()) : null;
}

async function health(): Promise<{ status: number; body: any }> {
  const res = await fetch(`${u.svc.url}/api/v1/health`);
  return { status: res.status, body: await res.json() };
}

describe("a target's circuit", () => {
  test("opens after 5 consecutive retryable failures, is skipped, probed after 30 s, and closes", async () => {
    await start();
    expect(await targetState("a", "gpt-a")).toBe(0);
    u.a.answer(failing);
    expect(await text()).toBe("from b"); // a: 3 failures
    expect(await text()).toBe("from b"); // a: 2 more → open; its third try is refused
    expect(u.a.requests.length).toBe(5);
    expect(await targetState("a", "gpt-a")).toBe(2);
    expect(await targetState("b", "gpt-b")).toBe(0);
    const h = await health();
    expect(h.status).toBe(200);
    expect(h.body.status).toBe("degraded");
    expect(h.body.checks.targets).toEqual({
      status: "degraded",
      circuitBreaking: true,
      circuits: [{ target: "a/gpt-a", state: "open", probeInMs: 30_000 }],
    });

    // Open: skipped without a call.
    expect(await text()).toBe("from b");
    expect(u.a.requests.length).toBe(5);
    now += 29_000;
    expect(await text()).toBe("from b");
    expect(u.a.requests.length).toBe(5);

    // Cool-down over: half-open; the next request probes, the upstream has recovered.
    now += 1_000;
    expect(await targetState("a", "gpt-a")).toBe(1);
    expect((await health()).body.checks.targets.circuits).toEqual([{ target: "a/gpt-a", state: "half_open" }]);
    u.a.answer(ok("a is back"));
    expect(await text()).toBe("a is back");
    expect(await targetState("a", "gpt-a")).toBe(0);
    expect((await health()).body).toMatchObject({ status: "ok", checks: { targets: { status: "ok", circuits: [] } } });
  });

  test("a failed probe re-opens it for another cool-down", async () => {
    await start();
    u.a.answer(failing);
    await text();
    await text();
    now += 30_000;
    const before = u.a.requests.length;
    expect(await text()).toBe("from b");
    expect(u.a.requests.length).toBe(before + 1); // the probe only, no retries
    expect(await targetState("a", "gpt-a")).toBe(2);
    expect(await text()).toBe("from b");
    expect(u.a.requests.length).toBe(before + 1);
  });

  test("half-open lets one probe through at a time", async () => {
    await start();
    u.a.answer(failing);
    await text();
    await text();
    now += 30_000;
    u.a.answer(() => ({ text: ["slow", " probe"], chunkDelayMs: 60, usage: { prompt_tokens: 1, completion_tokens: 2 } }));
    const before = u.a.requests.length;
    const probe = text();
    while (u.a.requests.length === before) await Bun.sleep(5);
    expect(await text()).toBe("from b"); // while the probe is out, a is skipped
    expect(await probe).toBe("slow probe");
    expect(u.a.requests.length).toBe(before + 1);
    expect(await targetState("a", "gpt-a")).toBe(0);
  });

  test("rejected credentials (401) open it at once; the request itself ends with 502", async () => {
    await start();
    u.a.answer(() => openAIError(401, "Incorrect API key provided", "invalid_request_error", "invalid_api_key"));
    const res = await u.svc.post({ model: "m", messages: user });
    expect(res.status).toBe(502);
    expect(u.b.requests.length).toBe(0);
    expect(await targetState("a", "gpt-a")).toBe(2);
    expect(await text()).toBe("from b");
    expect(u.a.requests.length).toBe(1);
  });

  test("every circuit open → 503 unavailable, no upstream called", async () => {
    await start();
    u.a.answer(failing);
    u.b.answer(failing);
    for (let i = 0; i < 2; i++) expect((await u.svc.post({ model: "m", messages: user })).status).toBe(502);
    expect([u.a.requests.length, u.b.requests.length]).toEqual([5, 5]);
    for (const stream of [false, true]) {
      const res = await u.svc.post({ model: "m", messages: user, stream });
      expect(res.status).toBe(503);
      const body: any = await res.json();
      expect(body.code).toBe("unavailable");
      expect(body.message).toBe('every target of model "m" is unavailable (circuit open: a/gpt-a, b/gpt-b)');
    }
    expect([u.a.requests.length, u.b.requests.length]).toEqual([5, 5]);
    // No target was tried: no tokens used, no usage event (the two 502s have theirs).
    await u.svc.sink.waitFor(2);
    await Bun.sleep(50);
    expect(u.svc.sink.events.map((e) => e.error?.code)).toEqual(["upstream_error", "upstream_error"]);
    const h = await health();
    expect(h.status).toBe(200);
    expect(h.body.status).toBe("degraded");
  });
});

test("circuit state survives a mapping refresh for targets whose key is unchanged", async () => {
  const a = await startOpenAIFake();
  const b = await startOpenAIFake();
  b.answer(ok("from b"));
  const mapping = twoUpstreamMapping(a, b);
  const svc = await startService({ mapping, routing });
  u = {
    a,
    b,
    svc,
    close: async () => {
      await svc.stop();
      await a.close();
      await b.close();
    },
  };
  a.answer(failing);
  await text();
  await text();
  expect(await targetState("a", "gpt-a")).toBe(2);

  await svc.service.loadMapping(); // same mapping again
  expect(await targetState("a", "gpt-a")).toBe(2);
  expect(await text()).toBe("from b");
  expect(a.requests.length).toBe(5);

  mapping.models.m.targets[0]!.deploymentName = "gpt-a2"; // a new key: a new, closed circuit
  await svc.service.loadMapping();
  expect(await targetState("a", "gpt-a")).toBeNull();
  expect(await targetState("a", "gpt-a2")).toBe(0);
  a.answer(ok("from a2"));
  expect(await text()).toBe("from a2");
});
