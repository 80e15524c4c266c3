/**
 * The usage event carries every completion parameter of the request (null when unset), the door
 * it came through (`api`) and `cost`, as the documented event shape has them. Over real HTTP, as
 * the log sink writes them.
 */
import { describe, expect, test } from "bun:test";
import { parseSettings } from "../../src/config/settings";
import { silentLogger } from "../../src/observability/logger";
import { createMetrics } from "../../src/observability/metrics";
import { LogUsageSink } from "../../src/usage/log-sink";
import { startService, waitFor } from "../support/usage-harness";

async function eventsFor(bodies: Record<string, unknown>[]): Promise<Record<string, any>[]> {
  const lines: string[] = [];
  const sink = new LogUsageSink((line) => lines.push(line));
  const { service, base } = await startService({
    settings: parseSettings({}),
    sink,
    logger: silentLogger,
    metrics: createMetrics({ defaultMetrics: false }),
  });
  try {
    for (const [i, body] of bodies.entries()) {
      const response = await fetch(`${base}/api/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": `r${i}` },
        body: JSON.stringify({ model: "demo", messages: [{ role: "user", content: "hi" }], ...body }),
      });
      expect(response.status).toBe(200);
      await response.text();
    }
    await waitFor("one event per request", () => lines.length === bodies.length, 5_000);
  } finally {
    await service.stop(1_000);
  }
  const events = lines.map((l) => JSON.parse(l).event);
  return bodies.map((_, i) => events.find((e) => e.requestId === `r${i}`));
}

describe("usage event fields", () => {
  test("stop, seed, penalties and reasoning effort as the request gave them; api and cost", async () => {
    const [set, stopString, unset] = await eventsFor([
      { stop: ["END", "\n\n"], seed: 42, presencePenalty: 0.5, frequencyPenalty: -0.25, reasoningEffort: "high", stream: true },
      { stop: "END" },
      {},
    ]);
    expect(set).toMatchObject({
      stop: ["END", "\n\n"],
      seed: 42,
      presencePenalty: 0.5,
      frequencyPenalty: -0.25,
      reasoningEffort: "high",
      api: "completions",
      cost: null,
      stream: true,
    });
    expect(stopString!.stop).toEqual(["END"]);
    for (const field of ["stop", "seed", "presencePenalty", "frequencyPenalty", "reasoningEffort", "cost"]) {
      expect(unset).toHaveProperty(field, null);
    }
    expect(unset!.api).toBe("completions");
  });
});
