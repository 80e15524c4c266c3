/** The mapping's freshness on /metrics: what the "mapping not refreshed" alert reads. */
import { expect, test } from "bun:test";
import { DEMO_MAPPING } from "../../src/config/demo-mapping";
import { parseMapping } from "../../src/config/mapping";
import { parseSettings } from "../../src/config/settings";
import { silentLogger } from "../../src/observability/logger";
import { CompletionService } from "../../src/service";
import { LogUsageSink } from "../../src/usage/log-sink";

async function gauges(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^(completion_mapping_\w+) (\S+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

test("the last successful load is stamped; a failing refresh leaves the stamp where it was", async () => {
  let failing = false;
  const service = new CompletionService({
    settings: parseSettings({}),
    logger: silentLogger,
    mappingSource: {
      description: "flaky source",
      load: async () => {
        if (failing) throw new Error("llm-core answered 500");
        return parseMapping(DEMO_MAPPING, {});
      },
    },
    sink: new LogUsageSink(() => {}),
  });
  service.listen(0, "127.0.0.1");
  try {
    expect(await gauges(service.port)).toEqual({
      completion_mapping_last_success_timestamp_seconds: 0,
      completion_mapping_refresh_interval_seconds: 0,
    });
    const before = Date.now() / 1000;
    await service.loadMapping();
    const loaded = (await gauges(service.port)).completion_mapping_last_success_timestamp_seconds!;
    expect(loaded).toBeGreaterThanOrEqual(before);
    expect(loaded).toBeLessThanOrEqual(Date.now() / 1000);

    service.startRefresh(50);
    await Bun.sleep(300);
    const refreshed = await gauges(service.port);
    expect(refreshed.completion_mapping_refresh_interval_seconds).toBe(0.05);
    expect(refreshed.completion_mapping_last_success_timestamp_seconds).toBeGreaterThan(loaded);

    failing = true;
    await Bun.sleep(150);
    const stale = (await gauges(service.port)).completion_mapping_last_success_timestamp_seconds;
    await Bun.sleep(300);
    expect((await gauges(service.port)).completion_mapping_last_success_timestamp_seconds).toBe(stale!);
  } finally {
    await service.stop(0);
  }
}, 30_000);
