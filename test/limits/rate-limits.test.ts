/**
 * Rate limits and budgets over real HTTP, counted in a real Redis: each limit kind, per caller and
 * per model, the 429 and its headers in each door's shape, and the caller's own standing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { parseSettings, SettingsError } from "../../src/config/settings";
import { LimitsConfigError } from "../../src/limits/limits-config";
import { createPrivateRedis, type PrivateRedis } from "../support/redis";
import { claims, signHs256 } from "../support/tokens";
import { ALPHA, awayFromMinuteEdge, BETA, settled, startLimitedService, type LimitedService } from "./limits-service";

let redis: PrivateRedis;
let svc: LimitedService | null = null;

beforeAll(async () => {
  redis = await createPrivateRedis();
});
afterEach(async () => {
  await svc?.stop();
  svc = null;
  await redis.cli("FLUSHALL");
});
afterAll(() => redis.dispose());

async function start(limits: unknown, env: Record<string, string> = {}): Promise<LimitedService> {
  svc = await startLimitedService({ REDIS_URL: redis.url, LIMITS: JSON.stringify(limits), ...env });
  await awayFromMinuteEdge();
  return svc;
}

async function metric(s: LimitedService, name: string): Promise<string[]> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  return text.split("\n").filter((l) => l.startsWith(name));
}

describe("requests per minute", () => {
  test("the request over the limit gets 429 rate_limited with Retry-After and OpenAI's headers, and no usage event", async () => {
    const s = await start({ default: { requestsPerMinute: 3 } });
    for (let i = 0; i < 3; i++) expect((await s.complete({ model: "m" })).status).toBe(200);
    const refused = await s.complete({ model: "m" });
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ statusCode: 429, code: "rate_limited" });
    expect(body.message).toContain("3 requests per minute across all models");
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get("x-ratelimit-limit-requests")).toBe("3");
    expect(refused.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(refused.headers.get("x-ratelimit-reset-requests")).toBe(`${retryAfter}s`);
    await settled(s, 3);
    expect(s.sink.events.length).toBe(3);
    expect(await metric(s, "completion_rate_limited_total")).toContain('completion_rate_limited_total{scope="all",limit="requests"} 1');
  });

  test("each caller has its own counters; an override per key name replaces the default", async () => {
    const s = await start({ default: { requestsPerMinute: 1 }, keys: { beta: { requestsPerMinute: 3 } } });
    expect((await s.complete({ model: "m" }, ALPHA)).status).toBe(200);
    expect((await s.complete({ model: "m" }, ALPHA)).status).toBe(429);
    for (let i = 0; i < 3; i++) expect((await s.complete({ model: "m" }, BETA)).status).toBe(200);
    expect((await s.complete({ model: "m" }, BETA)).status).toBe(429);
  });

  test("a limit per model counts that model apart, on top of the caller's overall limit", async () => {
    const s = await start({ default: { requestsPerMinute: 4 }, models: { m2: { requestsPerMinute: 1 } } });
    expect((await s.complete({ model: "m2" })).status).toBe(200);
    const refused = await s.complete({ model: "m2" });
    expect(refused.status).toBe(429);
    expect(await metric(s, "completion_rate_limited_total")).toContain('completion_rate_limited_total{scope="m2",limit="requests"} 1');
    expect(((await refused.json()) as { message: string }).message).toContain("on model m2");
    expect((await s.complete({ model: "m" })).status).toBe(200);
    expect((await s.complete({ model: "m" })).status).toBe(200);
    // 3 of the caller's 4 taken (the refusal took none): one more, then the overall limit.
    expect((await s.complete({ model: "m" })).status).toBe(200);
    expect((await s.complete({ model: "m" })).status).toBe(429);
  });

  test("perUser: each context.userId under a key has its own counters", async () => {
    const s = await start({ default: { requestsPerMinute: 1 }, perUser: true });
    expect((await s.complete({ model: "m", context: { userId: "u1" } })).status).toBe(200);
    expect((await s.complete({ model: "m", context: { userId: "u1" } })).status).toBe(429);
    expect((await s.complete({ model: "m", context: { userId: "u2" } })).status).toBe(200);
  });

  test("a JWT's subject is a caller of its own, with its override under subjects", async () => {
    const secret = "a-jwt-secret-of-at-least-32-bytes!!";
    const s = await start(
      { default: { requestsPerMinute: 5 }, subjects: { "user-42": { requestsPerMinute: 1 } } },
      { AUTH_MODE: "api_key_or_jwt", JWT_SECRET: secret, JWT_ISSUER: "https://issuer.test", JWT_AUDIENCE: "completion-service" },
    );
    const as = async (sub: string) => ({ authorization: `Bearer ${await signHs256(claims({ sub }), secret)}` });
    expect((await s.complete({ model: "m" }, await as("user-42"))).status).toBe(200);
    expect((await s.complete({ model: "m" }, await as("user-42"))).status).toBe(429);
    expect((await s.complete({ model: "m" }, await as("user-7"))).status).toBe(200);
    const standing = (await (await fetch(`${s.url}/api/v1/limits`, { headers: await as("user-42") })).json()) as { caller: string };
    expect(standing.caller).toBe("sub:user-42");
  });

  test("a null in an override lifts the default limit", async () => {
    const s = await start({ default: { requestsPerMinute: 1 }, keys: { alpha: { requestsPerMinute: null } } });
    for (let i = 0; i < 3; i++) expect((await s.complete({ model: "m" })).status).toBe(200);
    expect((await s.complete({ model: "m" }, BETA)).status).toBe(200);
    expect((await s.complete({ model: "m" }, BETA)).status).toBe(429);
  });
});

describe("tokens per minute", () => {
  test("counted from the input estimate before the call, settled on the real usage after it; a running stream is not cut", async () => {
    const s = await start({ default: { tokensPerMinute: 100 } });
    // ~10 input tokens estimated: admitted; the answer is ~200 tokens and streams to its end.
    const first = await s.complete({ model: "long", stream: true });
    expect(first.status).toBe(200);
    const lines = (await first.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "stop" });
    await settled(s, 1);
    const used = s.sink.events[0]!.inputTokens + s.sink.events[0]!.outputTokens;
    expect(used).toBeGreaterThan(100);
    const refused = await s.complete({ model: "m" });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("x-ratelimit-limit-tokens")).toBe("100");
    expect(refused.headers.get("x-ratelimit-remaining-tokens")).toBe("0");
    expect(refused.headers.get("x-ratelimit-reset-tokens")).toMatch(/^\d+s$/);
    expect(((await refused.json()) as { message: string }).message).toContain("100 tokens per minute");
    expect(await metric(s, "completion_rate_limited_total")).toContain('completion_rate_limited_total{scope="all",limit="tokens"} 1');
  });

  test("an input estimated over what is left is refused before any upstream call", async () => {
    const s = await start({ default: { tokensPerMinute: 50 } });
    const refused = await s.complete({ model: "m", messages: [{ role: "user", content: "many words ".repeat(100) }] });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("x-ratelimit-remaining-tokens")).toBe("50");
    await Bun.sleep(50);
    expect(s.sink.events.length).toBe(0);
    // A small one still fits.
    expect((await s.complete({ model: "m" })).status).toBe(200);
  });
});

describe("spend per day", () => {
  test("the spend is counted at the mapping's prices; once the budget is spent, 429 until the next UTC day", async () => {
    const s = await start({ default: { spendPerDay: 5 } });
    // 1 USD a token: the first call costs far more than 5 USD, but started under the budget.
    expect((await s.complete({ model: "priced" })).status).toBe(200);
    await settled(s, 1);
    expect(s.sink.events[0]!.cost!.total).toBeGreaterThan(5);
    const refused = await s.complete({ model: "priced" });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { message: string }).message).toContain("a spend of 5 USD per day");
    const retryAfter = Number(refused.headers.get("retry-after"));
    const untilMidnight = Math.ceil((86_400_000 - (Date.now() % 86_400_000)) / 1000);
    expect(Math.abs(retryAfter - untilMidnight)).toBeLessThanOrEqual(5);
    // Unpriced models cost nothing, but the budget is the caller's, across models.
    expect((await s.complete({ model: "m" })).status).toBe(429);
    expect((await s.complete({ model: "m" }, BETA)).status).toBe(200);
  });
});

describe("the front doors", () => {
  test("OpenAI's door answers 429 in OpenAI's error shape with the headers its client reads", async () => {
    const s = await start({ default: { requestsPerMinute: 1 } });
    const body = { model: "m", messages: [{ role: "user", content: "hi" }] };
    expect((await s.complete(body, ALPHA, "/v1/chat/completions")).status).toBe(200);
    const refused = await s.complete(body, ALPHA, "/v1/chat/completions");
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { type: "rate_limit_error", code: "rate_limited" } });
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(refused.headers.get("x-ratelimit-remaining-requests")).toBe("0");
  });

  test("Anthropic's door answers 429 in Anthropic's error shape", async () => {
    const s = await start({ default: { requestsPerMinute: 1 } });
    const body = { model: "m", max_tokens: 64, messages: [{ role: "user", content: "hi" }] };
    expect((await s.complete(body, ALPHA, "/v1/messages")).status).toBe(200);
    const refused = await s.complete(body, ALPHA, "/v1/messages");
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(refused.headers.get("x-ratelimit-limit-requests")).toBe("1");
  });
});

describe("GET /api/v1/limits", () => {
  test("shows the authenticated caller its own limits and what is left; refuses the unauthenticated", async () => {
    const s = await start({
      default: { requestsPerMinute: 10, spendPerDay: 20 },
      models: { m2: { tokensPerMinute: 1000 } },
      keys: { beta: { requestsPerMinute: 2 } },
    });
    expect((await s.complete({ model: "m" })).status).toBe(200);
    expect((await s.complete({ model: "m2" })).status).toBe(200);
    await settled(s, 2);
    const res = await fetch(`${s.url}/api/v1/limits`, { headers: ALPHA });
    expect(res.status).toBe(200);
    const standing = (await res.json()) as { caller: string; limits: Record<string, any>[] };
    expect(standing.caller).toBe("key:alpha");
    expect(standing.limits[0]).toMatchObject({
      model: null,
      requestsPerMinute: { limit: 10, used: 2, remaining: 8 },
      spendPerDay: { limit: 20, spent: 0, remaining: 20, currency: "USD" },
    });
    const m2 = s.sink.events.find((e) => e.model === "m2")!;
    expect(standing.limits[1]).toMatchObject({ model: "m2", tokensPerMinute: { limit: 1000, used: m2.inputTokens + m2.outputTokens } });
    const beta = (await (await fetch(`${s.url}/api/v1/limits`, { headers: BETA })).json()) as { limits: Record<string, any>[] };
    expect(beta.limits[0]).toMatchObject({ requestsPerMinute: { limit: 2, used: 0, remaining: 2 } });
    expect((await fetch(`${s.url}/api/v1/limits`)).status).toBe(401);
  });
});

describe("configuration", () => {
  test("limits without REDIS_URL stop the start, naming it", () => {
    expect(() => parseSettings({ LIMITS: '{"default":{"requestsPerMinute":1}}' })).toThrow(SettingsError);
    expect(() => parseSettings({ LIMITS_CONFIG_PATH: "/etc/limits.json" })).toThrow("LIMITS_CONFIG_PATH is set but REDIS_URL is not");
  });

  test("a wrong limits config stops the start, naming the setting and the field", async () => {
    await expect(startLimitedService({ REDIS_URL: redis.url, LIMITS: '{"default":{"requestsPerMinut":1}}' })).rejects.toThrow(
      LimitsConfigError,
    );
    await expect(startLimitedService({ REDIS_URL: redis.url, LIMITS: '{"default":{"requestsPerMinute":-1}}' })).rejects.toThrow(
      "LIMITS: default.requestsPerMinute",
    );
    await expect(startLimitedService({ REDIS_URL: redis.url, LIMITS_CONFIG_PATH: "/nonexistent/limits.json" })).rejects.toThrow(
      "LIMITS_CONFIG_PATH=/nonexistent/limits.json: cannot read the file (ENOENT)",
    );
  });

  test("health reports the limits check", async () => {
    const s = await start({ default: { requestsPerMinute: 5 } });
    await s.complete({ model: "m" });
    const health = (await (await fetch(`${s.url}/api/v1/health`)).json()) as { status: string; checks: { limits: unknown } };
    expect(health.status).toBe("ok");
    expect(health.checks.limits).toEqual({ status: "ok", redis: "up", onRedisFailure: "allow" });
  });
});
