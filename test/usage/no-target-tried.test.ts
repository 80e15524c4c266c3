/**
 * A request refused before any target was tried — every circuit of its model open — used no tokens:
 * it gets 503 and no usage event, and completion_requests_total counts it. Over real HTTP, with two
 * fake upstreams whose circuits are opened by failing them.
 */
import { afterEach, expect, test } from "bun:test";
import { flushAfterResponse } from "../../src/completion/after-response";
import { openAIError } from "../fakes/openai/openai-fake";
import { startTwoUpstreams, user, type TwoUpstreams } from "../routing/two-upstreams";

let u: TwoUpstreams;
afterEach(() => u.close());

/** completion_requests_total of model m with this status, summed over its series (stream true and false). */
function requestsTotal(metrics: string, status: string): number {
  return metrics
    .split("\n")
    .filter((l) => l.startsWith("completion_requests_total{") && l.includes(`model="m"`) && l.includes(`status="${status}"`))
    .reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
}

test("every circuit open: 503, no usage event, counted in completion_requests_total", async () => {
  u = await startTwoUpstreams({ routing: { retry: { baseDelayMs: 1, maxDelayMs: 2 }, now: () => 1_000_000 } });
  const failing = () => openAIError(500, "The server had an error", "server_error");
  u.a.answer(failing);
  u.b.answer(failing);
  // Two requests fail on both targets (5 failures each): both circuits open. Each used a target: an event each.
  for (let i = 0; i < 2; i++) expect((await u.svc.post({ model: "m", messages: user })).status).toBe(502);
  await u.svc.sink.waitFor(2);

  for (const stream of [false, true]) {
    const res = await u.svc.post({ model: "m", messages: user, stream });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { code: string }).code).toBe("unavailable");
  }
  flushAfterResponse();
  await Bun.sleep(100);
  expect(u.svc.sink.events).toHaveLength(2);
  expect(u.svc.sink.events.every((e) => e.providerId !== null && e.error?.code !== "unavailable")).toBe(true);

  const metrics = await (await fetch(`${u.svc.url}/metrics`)).text();
  expect(requestsTotal(metrics, "unavailable")).toBe(2);
});
