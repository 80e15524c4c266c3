/** The weighted strategy over real HTTP: the split follows the weights; a failed pick falls back to the rest. */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { openAIError } from "../fakes/openai/openai-fake";
import { TargetSelector } from "../../src/routing/target-selector";
import type { ModelRoute, Target } from "../../src/catalog/model-catalog";
import { reset, startTwoUpstreams, user, type TwoUpstreams } from "./two-upstreams";

/** A seeded PRNG (mulberry32): the split is checked against real weights, without flaky runs. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let u: TwoUpstreams;
beforeAll(async () => {
  u = await startTwoUpstreams({
    strategy: "weighted",
    weights: [3, 1],
    routing: { retry: { baseDelayMs: 1 }, circuit: false, random: seeded(42) },
  });
});
afterAll(() => u.close());
beforeEach(() => reset(u));

test("300 requests split 3:1 within ±8%", async () => {
  const total = 300;
  for (let i = 0; i < total; i += 30) {
    const batch = Array.from({ length: 30 }, () => u.svc.post({ model: "m", messages: user }).then((r) => r.json()));
    for (const body of await Promise.all(batch)) expect((body as { outputText: string }).outputText).toMatch(/^from [ab]$/);
  }
  expect(u.a.requests.length + u.b.requests.length).toBe(total);
  const shareA = u.a.requests.length / total;
  expect(shareA).toBeGreaterThan(0.75 - 0.08);
  expect(shareA).toBeLessThan(0.75 + 0.08);
});

test("when the picked target fails, the other one answers", async () => {
  u.a.answer(() => openAIError(503, "busy", "server_error"));
  for (let i = 0; i < 10; i++) {
    const res = await u.svc.post({ model: "m", messages: user });
    expect(((await res.json()) as { outputText: string }).outputText).toBe("from b");
  }
  expect(u.b.requests.length).toBe(10);
  expect(u.a.requests.length % 3).toBe(0); // each time it was picked: tried, retried twice
  expect(u.a.requests.length).toBeGreaterThan(0);
});

test("the order: every target once, the first by weight", () => {
  const target = (key: string, weight: number) => ({ key, weight }) as Target;
  const route: ModelRoute = { model: "m", strategy: "weighted", targets: [target("a", 1), target("b", 2), target("c", 7)] };
  const selector = new TargetSelector(seeded(7));
  const firsts: Record<string, number> = { a: 0, b: 0, c: 0 };
  for (let i = 0; i < 10_000; i++) {
    const order = selector.order(route).map((t) => t.key);
    expect([...order].sort()).toEqual(["a", "b", "c"]);
    firsts[order[0]!]!++;
  }
  expect(firsts.a! / 10_000).toBeCloseTo(0.1, 1);
  expect(firsts.b! / 10_000).toBeCloseTo(0.2, 1);
  expect(firsts.c! / 10_000).toBeCloseTo(0.7, 1);
  expect(new TargetSelector().order({ ...route, strategy: "fallback" }).map((t) => t.key)).toEqual(["a", "b", "c"]);
});
