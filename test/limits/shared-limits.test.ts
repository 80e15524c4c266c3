/**
 * Three service instances on loopback sharing one Redis hold one limit between them: clients
 * hammering all three at once never get more than the limit through.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createPrivateRedis, type PrivateRedis } from "../support/redis";
import { awayFromMinuteEdge, BETA, startLimitedService, type LimitedService } from "./limits-service";

let redis: PrivateRedis;
let replicas: LimitedService[] = [];

beforeAll(async () => {
  redis = await createPrivateRedis();
  const env = {
    REDIS_URL: redis.url,
    LIMITS: JSON.stringify({ default: { requestsPerMinute: 25 }, keys: { beta: { tokensPerMinute: 400 } } }),
  };
  replicas = await Promise.all([startLimitedService(env), startLimitedService(env), startLimitedService(env)]);
});
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await redis.dispose();
});

describe("one limit across three replicas", () => {
  test("90 concurrent requests from several clients over three replicas: exactly 25 served, the rest 429", async () => {
    await awayFromMinuteEdge();
    const statuses = await Promise.all(
      Array.from({ length: 90 }, async (_, i) => {
        const res = await replicas[i % 3]!.complete({ model: "m", stream: i % 2 === 0 });
        await res.text();
        return res.status;
      }),
    );
    expect(statuses.filter((s) => s === 200).length).toBe(25);
    expect(statuses.filter((s) => s === 429).length).toBe(65);
    // Any replica may have served any share of the 25 (none, even): wait for their events together.
    const served = () => replicas.reduce((sum, r) => sum + r.sink.events.length, 0);
    for (const deadline = Date.now() + 5000; served() < 25 && Date.now() < deadline; ) await Bun.sleep(10);
    expect(served()).toBe(25);
    // Counted per process, three replicas would have served 75.
  });

  test("a token limit shared by replicas: what is served stays within it by at most the requests in flight when it filled", async () => {
    // Sequential rounds of three concurrent requests (one per replica): each admitted request
    // counts its estimate first, then its real usage.
    await awayFromMinuteEdge();
    let served = 0;
    for (let round = 0; round < 20; round++) {
      const statuses = await Promise.all(replicas.map(async (r) => (await r.complete({ model: "m" }, BETA)).status));
      served += statuses.filter((s) => s === 200).length;
      if (statuses.every((s) => s === 429)) break;
      await Bun.sleep(20); // settlements land
    }
    await Bun.sleep(100);
    const events = replicas.flatMap((r) => r.sink.events.filter((e) => e.auth && "keyName" in e.auth && e.auth.keyName === "beta"));
    expect(events.length).toBe(served);
    const tokens = events.reduce((sum, e) => sum + e.inputTokens + e.outputTokens, 0);
    const perRequest = events[0]!.inputTokens + events[0]!.outputTokens;
    expect(served).toBeGreaterThan(0);
    // Admitted only while the estimate fitted: the total overshoots by at most one round's outputs.
    expect(tokens).toBeLessThanOrEqual(400 + 3 * perRequest);
    expect(served).toBeLessThan(60);
    const standing = (await (await fetch(`${replicas[1]!.url}/api/v1/limits`, { headers: BETA })).json()) as {
      limits: { tokensPerMinute: { used: number } }[];
    };
    expect(standing.limits[0]!.tokensPerMinute.used).toBe(tokens);
  });
});
