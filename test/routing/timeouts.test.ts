/** Per-provider timeouts — connect, first byte, idle, total — against fake upstreams over real HTTP. */
import { afterAll, describe, expect, test } from "bun:test";
import { openAIChatResponse } from "../fakes/openai/openai-fake";
import { startFakeUpstream, type FakeUpstream } from "../fakes/fake-upstream";
import { grammarViolations, readNdjson, streamedText } from "../support/ndjson";
import { closedWithin } from "../support/provider-scenarios";
import { FAST_ROUTING, singleTargetMapping, startService, type Harness } from "../support/service-harness";
import type { AdapterEvent } from "../../src/core/events";
import type { ProviderAdapterFactory } from "../../src/providers/provider-adapter";
import { startTwoUpstreams, user, type TwoUpstreams } from "./two-upstreams";

const open: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const o of open) await o.close();
});

async function two(a: Record<string, unknown>, b: Record<string, unknown> = {}): Promise<TwoUpstreams> {
  const u = await startTwoUpstreams({ a, b });
  open.push(u);
  return u;
}

function upstreamClosed(fake: FakeUpstream, index = 0): Promise<boolean> {
  return closedWithin(fake.requests[index]!, 2000);
}

describe("before the first byte: the attempt ends, and is retried or falls back", () => {
  test("first byte: no response within firstByteTimeoutMs", async () => {
    const u = await two({ firstByteTimeoutMs: 150, maxRetries: 0 });
    u.a.answer(() => ({ status: 200, hangBeforeHeaders: true }));
    const started = performance.now();
    const res = await u.svc.post({ model: "m", messages: user, stream: true });
    expect(streamedText(await readNdjson(res))).toBe("from b");
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    expect(await upstreamClosed(u.a)).toBe(true); // the SDK call was aborted
    const [event] = await u.svc.sink.waitFor(1);
    expect(event!.attempts).toHaveLength(1);
    expect(event!.attempts[0]!.error).toBe("upstream_timeout: openai sent nothing within 150 ms (first-byte timeout)");
  });

  test("first byte: headers alone do not count, an event does", async () => {
    const u = await two({ firstByteTimeoutMs: 150, maxRetries: 0 });
    u.a.answer(() => ({
      status: 200,
      headers: { "content-type": "text/event-stream" },
      body: [{ write: ": keep-alive\n\n" }, { hang: true }],
    }));
    const res = await u.svc.post({ model: "m", messages: user, stream: true });
    expect(streamedText(await readNdjson(res))).toBe("from b");
  });

  test("connect: an adapter that does not report headers is bounded to its first event", async () => {
    const u = await two({ connectTimeoutMs: 100, firstByteTimeoutMs: 5000, maxRetries: 1 });
    u.a.answer(() => ({ status: 200, hangBeforeHeaders: true }));
    const started = performance.now();
    const res = await u.svc.post({ model: "m", messages: user, stream: true });
    expect(streamedText(await readNdjson(res))).toBe("from b");
    expect(performance.now() - started).toBeLessThan(1000);
    expect(u.a.requests.length).toBe(2);
    const [event] = await u.svc.sink.waitFor(1);
    expect(event!.attempts.map((x) => x.error)).toEqual([
      "upstream_timeout: openai sent no response headers within 100 ms (connect timeout)",
      "upstream_timeout: openai sent no response headers within 100 ms (connect timeout)",
    ]);
  });

  test("a retried hang is still bounded by the total timeout of the request", async () => {
    const fake = await startFakeUpstream(() => ({ hangBeforeHeaders: true }));
    const svc = await startService({
      mapping: singleTargetMapping({ type: "openai", apiKey: "k", baseUrl: `${fake.url}/v1`, firstByteTimeoutMs: 200, timeoutMs: 500 }),
    });
    open.push({ close: () => svc.stop() }, fake);
    const started = performance.now();
    const res = await svc.post({ model: "m", messages: user, stream: true });
    const elapsed = performance.now() - started;
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ code: "upstream_timeout" });
    expect(elapsed).toBeGreaterThanOrEqual(480);
    expect(elapsed).toBeLessThan(800);
    expect(fake.requests.length).toBe(3); // 0–200, 200–400, 400–500 ms
  });
});

describe("connect timeout with an adapter that reports response headers", () => {
  /** A minimal OpenAI-SSE adapter on plain fetch that calls `onResponseHeaders`. */
  const reportingFactory: ProviderAdapterFactory = (config) => ({
    type: "openai",
    reportsResponseHeaders: true,
    async *complete(request, call): AsyncIterable<AdapterEvent> {
      const res = await fetch(`${config.baseUrl}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: call.deploymentName, stream: true, messages: request.messages }),
        signal: call.signal,
      });
      call.onResponseHeaders?.();
      const text = await res.text();
      for (const block of text.split("\n\n")) {
        const data = block.startsWith("data: ") ? block.slice(6) : null;
        if (!data || data === "[DONE]") continue;
        const choice = JSON.parse(data).choices?.[0];
        if (choice?.delta?.content) yield { type: "text", text: choice.delta.content };
        if (choice?.finish_reason) yield { type: "finish", reason: "stop" };
      }
    },
  });
  let fake: FakeUpstream;
  let svc: Harness;

  test("headers in time and a slow first token: no connect timeout", async () => {
    fake = await startFakeUpstream((req) => {
      const answer = openAIChatResponse(req, { text: ["slow but alive"] });
      const steps = answer.body as { write: string }[];
      return { ...answer, body: [{ write: ": accepted\n\n" }, { delayMs: 300 }, ...steps] };
    });
    svc = await startService({
      mapping: singleTargetMapping({ type: "openai", apiKey: "k", baseUrl: `${fake.url}/v1`, connectTimeoutMs: 100, maxRetries: 0 }),
      factories: { openai: reportingFactory },
    });
    open.push({ close: () => svc.stop() }, fake);
    const lines = await readNdjson(await svc.post({ model: "m", messages: user, stream: true }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(streamedText(lines)).toBe("slow but alive");
  });

  test("no headers: connect timeout, though the first-byte timeout is far", async () => {
    fake.setScript(() => ({ hangBeforeHeaders: true }));
    const res = await svc.post({ model: "m", messages: user, stream: true });
    expect(res.status).toBe(504);
    expect(((await res.json()) as { message: string }).message).toContain("(connect timeout)");
  });
});

describe("after the first byte: an error line, no fallback", () => {
  test("idle: the upstream goes silent mid-stream", async () => {
    const u = await two({ idleTimeoutMs: 150 });
    u.a.answer(() => ({ text: ["Hello", " wor"], hangAfterContent: true }));
    const lines = await readNdjson(await u.svc.post({ model: "m", messages: user, stream: true }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(streamedText(lines)).toBe("Hello wor");
    expect(lines.find((l) => l.type === "error")).toEqual({
      type: "error",
      code: "upstream_timeout",
      message: "openai went silent for 150 ms (idle timeout)",
    });
    expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "error" });
    expect(await upstreamClosed(u.a)).toBe(true);
    expect(u.b.requests.length).toBe(0);
    const [event] = await u.svc.sink.waitFor(1);
    expect(event).toMatchObject({ status: "error", providerId: "a", error: { code: "upstream_timeout" } });
  });

  test("idle: a slow stream that keeps talking is not idle", async () => {
    const u = await two({ idleTimeoutMs: 150 });
    u.a.answer(() => ({ text: ["a", "b", "c"], chunkDelayMs: 80, usage: { prompt_tokens: 1, completion_tokens: 3 } }));
    const lines = await readNdjson(await u.svc.post({ model: "m", messages: user, stream: true }));
    expect(streamedText(lines)).toBe("abc");
    expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "stop" });
  });

  test("total: a stream longer than timeoutMs is cut", async () => {
    const u = await two({ timeoutMs: 450 });
    u.a.answer(() => ({ text: Array.from({ length: 30 }, (_, i) => `${i} `), chunkDelayMs: 50 }));
    const started = performance.now();
    const lines = await readNdjson(await u.svc.post({ model: "m", messages: user, stream: true }));
    const elapsed = performance.now() - started;
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines.find((l) => l.type === "error")).toMatchObject({
      code: "upstream_timeout",
      message: "openai did not finish within 450 ms (total timeout)",
    });
    expect(elapsed).toBeGreaterThanOrEqual(440);
    expect(elapsed).toBeLessThan(900);
    expect(await upstreamClosed(u.a)).toBe(true);
    expect(u.b.requests.length).toBe(0);
  });
});

describe("JSON requests", () => {
  test("a hung upstream cannot hold the request past its total timeout", async () => {
    const fake = await startFakeUpstream(() => ({ hangBeforeHeaders: true }));
    const svc = await startService({
      mapping: singleTargetMapping({ type: "openai", apiKey: "k", baseUrl: `${fake.url}/v1`, timeoutMs: 300 }),
      routing: FAST_ROUTING,
    });
    open.push({ close: () => svc.stop() }, fake);
    const started = performance.now();
    const res = await svc.post({ model: "m", messages: user });
    const elapsed = performance.now() - started;
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({
      code: "upstream_timeout",
      message: "openai did not finish before the request's 300 ms time budget ran out (total timeout)",
    });
    expect(elapsed).toBeLessThan(600);
    expect(await upstreamClosed(fake)).toBe(true);
  });

  test("first-byte and idle timeouts do not apply: the answer comes in one body", async () => {
    const u = await two({ firstByteTimeoutMs: 100, idleTimeoutMs: 100, connectTimeoutMs: 100, maxRetries: 0 });
    u.a.answer((req) => {
      const answer = openAIChatResponse(req, { text: ["a long think"], usage: { prompt_tokens: 1, completion_tokens: 3 } });
      return { ...answer, body: [{ delayMs: 300 }, { write: answer.body as string }] };
    });
    const res = await u.svc.post({ model: "m", messages: user });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { outputText: string }).outputText).toBe("a long think");
    expect(u.b.requests.length).toBe(0);
  });
});
