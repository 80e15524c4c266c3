/**
 * Counting tokens locally (the demo model, a provider that reports no usage, a stream cut short)
 * runs on the event loop: a huge prompt must not hold up every other request while it is counted.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { DEMO_MAPPING } from "../../src/config/demo-mapping";
import { estimateTextTokens } from "../../src/tokens/token-estimate";
import { startService, type Harness } from "../support/service-harness";

let svc: Harness;
beforeAll(async () => {
  svc = await startService({ mapping: DEMO_MAPPING });
});
afterAll(() => svc.stop());

test("while a 9 MB one-word prompt is counted, health answers quickly", async () => {
  const word = "a".repeat(9_000_000);
  let done = false;
  const big = svc.post({ model: "demo", messages: [{ role: "user", content: word }] }).finally(() => (done = true));
  const latencies: number[] = [];
  while (!done) {
    const started = performance.now();
    const res = await fetch(`${svc.url}/api/v1/health`);
    await res.arrayBuffer();
    latencies.push(performance.now() - started);
    await Bun.sleep(20);
  }
  const res = await big;
  expect(res.status).toBe(200);
  const answer: any = await res.json();
  // Exact count of this word: 1,125,000 tokens (8 letters each); the estimate errs above it.
  expect(answer.usage.inputTokens).toBeGreaterThan(1_125_000);
  expect(answer.usage.inputTokens).toBeLessThan(4_600_000);
  expect(latencies.length).toBeGreaterThan(0);
  // Counting it exactly took 3–6 s; parsing 9 MB still takes a moment on a busy machine.
  expect(Math.max(...latencies)).toBeLessThan(1000);
});

test("text within the exact allowance is counted exactly; beyond it, at least half the exact count", () => {
  expect(estimateTextTokens("hello world")).toBe(2);
  const prose = "The quick brown fox jumps over the lazy dog. ".repeat(40_000); // 1.8 MB
  expect(prose.length).toBeGreaterThan(256 * 1024);
  const exactPerSentence = estimateTextTokens("The quick brown fox jumps over the lazy dog. ");
  const estimate = estimateTextTokens(prose);
  expect(estimate).toBeGreaterThanOrEqual(exactPerSentence * 40_000 * 0.9);
  expect(estimate).toBeLessThan(exactPerSentence * 40_000 * 2.5);
});
