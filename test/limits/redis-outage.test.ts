/**
 * Redis killed and restarted under traffic: requests go on as LIMITS_ON_REDIS_FAILURE says
 * (allowed unchecked, or refused with 503), nothing crashes, health says degraded with a `limits`
 * check, one log line per change of state, and limits hold again once Redis is back.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createPrivateRedis, type PrivateRedis } from "../support/redis";
import { ALPHA, awayFromMinuteEdge, BETA, startLimitedService, type LimitedService } from "./limits-service";

let redis: PrivateRedis;
let allow: LimitedService;
let deny: LimitedService;

const LIMITS = JSON.stringify({ default: { requestsPerMinute: 10_000 }, keys: { beta: { requestsPerMinute: 3 } } });

beforeAll(async () => {
  redis = await createPrivateRedis();
  allow = await startLimitedService({ REDIS_URL: redis.url, LIMITS, LIMITS_REDIS_TIMEOUT_MS: "300" });
  deny = await startLimitedService({ REDIS_URL: redis.url, LIMITS, LIMITS_ON_REDIS_FAILURE: "deny", LIMITS_REDIS_TIMEOUT_MS: "300" });
});
afterAll(async () => {
  await Promise.all([allow.stop(), deny.stop()]);
  await redis.dispose();
});

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

async function health(s: LimitedService): Promise<{ status: string; checks: { limits: Record<string, unknown> } }> {
  return (await fetch(`${s.url}/api/v1/health`)).json() as Promise<{ status: string; checks: { limits: Record<string, unknown> } }>;
}

/** Clients sending requests one after another until stopped; every status they got. */
function traffic(s: LimitedService, clients: number) {
  const statuses: number[] = [];
  let running = true;
  const loops = Array.from({ length: clients }, async (_, i) => {
    while (running) {
      const res = await s.complete({ model: "m", stream: i % 2 === 0 });
      await res.text();
      statuses.push(res.status);
    }
  });
  return {
    statuses,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

const lines = (s: LimitedService, msg: string) => s.logs.filter((l) => typeof l.msg === "string" && l.msg.startsWith(msg));

describe("Redis unreachable", () => {
  test("allow: traffic goes on unchecked while Redis is down, and is checked again once it is back", async () => {
    expect((await allow.complete({ model: "m" })).status).toBe(200);
    expect((await deny.complete({ model: "m" })).status).toBe(200);
    const load = traffic(allow, 4);
    await Bun.sleep(200);
    await redis.kill();
    await until("health to say degraded", async () => (await health(allow)).status === "degraded");
    const during = load.statuses.length;
    await Bun.sleep(1000); // many requests while Redis is away
    expect(load.statuses.length - during).toBeGreaterThan(10);
    const h = await health(allow);
    expect(h.checks.limits).toMatchObject({ status: "degraded", redis: "down", onRedisFailure: "allow" });
    expect(typeof h.checks.limits.since).toBe("string");

    // deny: refused with 503 in the contract's shape while Redis is away.
    const refused = await deny.complete({ model: "m" });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ code: "unavailable" });

    await redis.start();
    await until("health to be ok again", async () => (await health(allow)).status === "ok");
    await load.stop();
    expect(load.statuses.filter((s) => s !== 200)).toEqual([]);

    // One line per change of state, however many requests met the outage.
    expect(lines(allow, "rate limits: Redis unreachable")).toHaveLength(1);
    expect(lines(allow, "rate limits: Redis unreachable")[0]!.msg).toContain("LIMITS_ON_REDIS_FAILURE=allow");
    expect(lines(allow, "rate limits: Redis reachable again")).toHaveLength(1);
    const metrics = await (await fetch(`${allow.url}/metrics`)).text();
    expect(metrics).toMatch(/completion_limits_unchecked_total\{outcome="allowed"\} [1-9]/);
    expect(metrics).toContain("completion_limits_redis_up 1");

    // Checked again: the restarted Redis starts from empty counters, and beta's limit of 3 holds.
    await awayFromMinuteEdge();
    for (let i = 0; i < 3; i++) expect((await allow.complete({ model: "m" }, BETA)).status).toBe(200);
    expect((await allow.complete({ model: "m" }, BETA)).status).toBe(429);
    await until("deny to serve again", async () => (await deny.complete({ model: "m" }, ALPHA)).status === 200);
    expect(lines(deny, "rate limits: Redis unreachable")).toHaveLength(1);
    expect(lines(deny, "rate limits: Redis unreachable")[0]!.msg).toContain("refused with 503");
  }, 30_000);

  test("a hung Redis (answering nothing) costs each request at most LIMITS_REDIS_TIMEOUT_MS, then the mode decides", async () => {
    expect((await allow.complete({ model: "m" })).status).toBe(200);
    redis.pause();
    try {
      const started = performance.now();
      const [allowed, denied] = await Promise.all([allow.complete({ model: "m" }), deny.complete({ model: "m" })]);
      expect(allowed.status).toBe(200);
      expect(denied.status).toBe(503);
      // 300 ms configured: well under the seconds a hang would take.
      expect(performance.now() - started).toBeLessThan(3000);
      expect((await health(allow)).checks.limits).toMatchObject({ redis: "down", lastError: "no answer within 300 ms" });
    } finally {
      redis.resume();
    }
    await until("health to be ok again", async () => {
      await allow.complete({ model: "m" });
      return (await health(allow)).status === "ok";
    });
  }, 30_000);
});
