/** Retries on the same target, then fallback to the next, against two fake OpenAI upstreams. */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { openAIError } from "../fakes/openai/openai-fake";
import { grammarViolations, readNdjson, streamedText } from "../support/ndjson";
import { abortableSleep } from "../../src/routing/abortable-sleep";
import { reset, startTwoUpstreams, user, type TwoUpstreams } from "./two-upstreams";

let u: TwoUpstreams;
beforeAll(async () => {
  u = await startTwoUpstreams({ routing: { retry: { baseDelayMs: 2, maxDelayMs: 10, maxRetryAfterMs: 2000 }, circuit: false } });
});
afterAll(() => u.close());
beforeEach(() => reset(u));

async function answerText(res: Response, stream: boolean): Promise<string> {
  if (!stream) return ((await res.json()) as { outputText: string }).outputText;
  const lines = await readNdjson(res);
  expect(grammarViolations(lines)).toEqual([]);
  return streamedText(lines);
}

describe("retryable failures: retried maxRetries times, then the next target", () => {
  for (const status of [408, 429, 500, 502, 503, 504, 529]) {
    for (const stream of [true, false]) {
      test(`HTTP ${status} (${stream ? "stream" : "JSON"})`, async () => {
        u.a.answer(() => openAIError(status, `failure ${status}`, "server_error"));
        const res = await u.svc.post({ model: "m", messages: user, stream });
        expect(res.status).toBe(200);
        expect(await answerText(res, stream)).toBe("from b");
        expect(u.a.requests.length).toBe(3); // the first try and maxRetries (2) retries
        expect(u.b.requests.length).toBe(1);
        const [event] = await u.svc.sink.waitFor(1);
        expect(event).toMatchObject({ status: "success", providerId: "b", deploymentName: "gpt-b" });
        expect(event!.attempts).toHaveLength(3);
        for (const attempt of event!.attempts) {
          expect(attempt).toMatchObject({ providerId: "a", deploymentName: "gpt-a" });
          expect(attempt.error).toMatch(
            status === 429 ? /^rate_limited: / : status === 408 || status === 504 ? /^upstream_timeout: / : /^upstream_error: /,
          );
        }
      });
    }
  }

  test("a connection reset before the headers", async () => {
    u.a.answer(() => ({ status: 200, resetBeforeHeaders: true }));
    const res = await u.svc.post({ model: "m", messages: user, stream: true });
    expect(await answerText(res, true)).toBe("from b");
    expect(u.a.requests.length).toBe(3);
    expect(u.b.requests.length).toBe(1);
  });

  test("a JSON answer cut short falls back too: nothing was sent yet", async () => {
    u.a.answer(() => ({
      status: 200,
      headers: { "content-type": "application/json" },
      body: [{ write: '{"id":"chatcmpl-x","choices":[' }, { delayMs: 20 }, { reset: true }],
    }));
    const res = await u.svc.post({ model: "m", messages: user });
    expect(res.status).toBe(200);
    expect(await answerText(res, false)).toBe("from b");
    expect(u.a.requests.length).toBe(3);
  });

  test("a retry that succeeds stays on the same target", async () => {
    let calls = 0;
    u.a.answer(() =>
      ++calls === 1 ? openAIError(503, "busy", "server_error") : { text: ["from a"], usage: { prompt_tokens: 1, completion_tokens: 1 } },
    );
    const res = await u.svc.post({ model: "m", messages: user, stream: true });
    expect(await answerText(res, true)).toBe("from a");
    expect(u.a.requests.length).toBe(2);
    expect(u.b.requests.length).toBe(0);
    const [event] = await u.svc.sink.waitFor(1);
    expect(event).toMatchObject({ providerId: "a", attempts: [{ providerId: "a", deploymentName: "gpt-a" }] });
  });
});

describe("non-retryable answers end the request at once", () => {
  const cases: [number, string, number, string][] = [
    [400, "invalid_request_error", 400, "upstream_invalid_request"],
    [404, "invalid_request_error", 502, "upstream_error"],
    [422, "invalid_request_error", 400, "upstream_invalid_request"],
    [401, "invalid_request_error", 502, "upstream_error"],
    [403, "invalid_request_error", 502, "upstream_error"],
  ];
  for (const [upstream, type, status, code] of cases) {
    test(`HTTP ${upstream} → ${status} ${code}, the next target never called`, async () => {
      u.a.answer(() => openAIError(upstream, `refused ${upstream}`, type));
      const res = await u.svc.post({ model: "m", messages: user, stream: true });
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ code });
      expect(u.a.requests.length).toBe(1);
      expect(u.b.requests.length).toBe(0);
    });
  }
});

describe("Retry-After", () => {
  test("the retry waits at least the upstream's Retry-After", async () => {
    const seenAt: number[] = [];
    u.a.answer(() => {
      seenAt.push(performance.now());
      return seenAt.length === 1
        ? openAIError(429, "Rate limit reached", "requests", "rate_limit_exceeded", { "retry-after": "1" })
        : { text: ["from a"], usage: { prompt_tokens: 1, completion_tokens: 1 } };
    });
    const res = await u.svc.post({ model: "m", messages: user, stream: true });
    expect(await answerText(res, true)).toBe("from a");
    expect(seenAt).toHaveLength(2);
    expect(seenAt[1]! - seenAt[0]!).toBeGreaterThanOrEqual(995);
  });

  test("a Retry-After longer than the cap is not waited out: the next target answers at once", async () => {
    u.a.answer(() => openAIError(429, "Rate limit reached", "requests", "rate_limit_exceeded", { "retry-after": "30" }));
    const started = performance.now();
    const res = await u.svc.post({ model: "m", messages: user, stream: true });
    expect(await answerText(res, true)).toBe("from b");
    expect(performance.now() - started).toBeLessThan(1000);
    expect(u.a.requests.length).toBe(1);
  });
});

describe("when every target fails", () => {
  test("all rate-limited → 429 with the soonest Retry-After passed on", async () => {
    u.a.answer(() => openAIError(429, "Rate limit reached", "requests", "rate_limit_exceeded", { "retry-after": "9" }));
    u.b.answer(() => openAIError(429, "Rate limit reached", "requests", "rate_limit_exceeded", { "retry-after": "4" }));
    for (const stream of [true, false]) {
      const res = await u.svc.post({ model: "m", messages: user, stream });
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("4");
      expect(await res.json()).toMatchObject({ code: "rate_limited" });
    }
    expect([u.a.requests.length, u.b.requests.length]).toEqual([2, 2]);
  });

  test("all rate-limited without Retry-After: each retried, then 429", async () => {
    u.a.answer(() => openAIError(429, "Rate limit reached", "requests", "rate_limit_exceeded"));
    u.b.answer(() => openAIError(429, "Rate limit reached", "requests", "rate_limit_exceeded"));
    const res = await u.svc.post({ model: "m", messages: user });
    expect(res.status).toBe(429);
    expect([u.a.requests.length, u.b.requests.length]).toEqual([3, 3]);
  });

  test("all timed out → 504", async () => {
    u.a.answer(() => openAIError(504, "Timeout", "server_error"));
    u.b.answer(() => openAIError(408, "Timeout", "server_error"));
    const res = await u.svc.post({ model: "m", messages: user, stream: true });
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ code: "upstream_timeout" });
  });

  test("mixed → 502 naming each target's outcome", async () => {
    u.a.answer(() => openAIError(429, "Rate limit reached", "requests", "rate_limit_exceeded", { "retry-after": "30" }));
    u.b.answer(() => openAIError(500, "The server had an error", "server_error"));
    const res = await u.svc.post({ model: "m", messages: user });
    expect(res.status).toBe(502);
    expect(res.headers.get("retry-after")).toBeNull();
    const body: any = await res.json();
    expect(body.code).toBe("upstream_error");
    expect(body.message).toContain("a/gpt-a: rate_limited");
    expect(body.message).toContain("b/gpt-b: upstream_error");
    const [event] = await u.svc.sink.waitFor(1);
    expect(event).toMatchObject({ status: "error", providerId: "b", error: { code: "upstream_error" } });
    expect(event!.attempts.map((x) => x.providerId)).toEqual(["a", "b", "b", "b"]);
  });
});

describe("after the first byte reached the client", () => {
  test("a mid-stream error is an error line; the next target is never called", async () => {
    u.a.answer(() => ({ text: ["Partial"], midStreamError: { message: "The server had an error" } }));
    const lines = await readNdjson(await u.svc.post({ model: "m", messages: user, stream: true }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines[0]).toEqual({ type: "text_delta_start", content: "Partial" });
    expect(lines.find((l) => l.type === "error")).toMatchObject({ code: "upstream_error" });
    expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "error" });
    expect(u.a.requests.length).toBe(1);
    expect(u.b.requests.length).toBe(0);
    const [event] = await u.svc.sink.waitFor(1);
    expect(event).toMatchObject({ status: "error", providerId: "a", finishReason: "error", attempts: [] });
  });

  test("a reset mid-stream likewise", async () => {
    u.a.answer(() => ({ text: ["Half an ans", "wer"], resetAfterContent: true }));
    const lines = await readNdjson(await u.svc.post({ model: "m", messages: user, stream: true }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(streamedText(lines)).toBe("Half an answer");
    expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "error" });
    expect(u.b.requests.length).toBe(0);
  });
});

describe("per-provider maxRetries", () => {
  for (const maxRetries of [0, 1]) {
    test(`maxRetries ${maxRetries}: ${maxRetries + 1} attempt(s) on the target, then the next`, async () => {
      const v = await startTwoUpstreams({ a: { maxRetries }, routing: { retry: { baseDelayMs: 1 }, circuit: false } });
      try {
        v.a.answer(() => openAIError(500, "boom", "server_error"));
        const res = await v.svc.post({ model: "m", messages: user });
        expect(res.status).toBe(200);
        expect(v.a.requests.length).toBe(maxRetries + 1);
        expect(v.b.requests.length).toBe(1);
      } finally {
        await v.close();
      }
    });
  }
});

test("a client that goes away during the backoff wait stops the retries", async () => {
  const waits: AbortSignal[] = [];
  const v = await startTwoUpstreams({
    routing: {
      retry: { baseDelayMs: 3000, maxDelayMs: 3000 },
      circuit: false,
      sleep: (ms, signal) => {
        waits.push(signal);
        return abortableSleep(ms, signal);
      },
    },
  });
  try {
    v.a.answer(() => openAIError(503, "busy", "server_error"));
    const controller = new AbortController();
    const pending = v.svc.post({ model: "m", messages: user, stream: true }, { signal: controller.signal }).catch(() => null);
    while (waits.length === 0) await Bun.sleep(5);
    controller.abort();
    const abortedAt = performance.now();
    await pending;
    const [event] = await v.svc.sink.waitFor(1);
    expect(performance.now() - abortedAt).toBeLessThan(1000); // not after the 1.5–3 s backoff
    expect(event).toMatchObject({ status: "cancelled" });
    expect(waits[0]!.aborted).toBe(true);
    await Bun.sleep(100);
    expect(v.a.requests.length).toBe(1);
    expect(v.b.requests.length).toBe(0);
  } finally {
    await v.close();
  }
});
