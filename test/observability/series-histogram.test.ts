/** The completion histograms and counters read exactly as prom-client's own would. */
import { expect, test } from "bun:test";
import { Counter, Histogram, Registry } from "prom-client";
import type { CompletionApi } from "../../src/completion/completion-execution";
import { CompletionMetrics } from "../../src/observability/completion-metrics";
import { createMetrics } from "../../src/observability/metrics";
import { SeriesHistogram } from "../../src/observability/series-histogram";

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
// On a bound, between bounds, below the first, above the last, zero.
const VALUES = [0.005, 0.0051, 0.3, 0.001, 7, 0, 1, 2.5, 2.5000001, 0.25];

function both() {
  const ours = new Registry();
  const theirs = new Registry();
  const config = { name: "h_seconds", help: "A histogram", labelNames: ["model", "stream"] as const, buckets: BUCKETS };
  return {
    ours,
    theirs,
    series: new SeriesHistogram({ ...config, registers: [ours] }),
    reference: new Histogram({ ...config, buckets: [...BUCKETS], registers: [theirs] }),
  };
}

test("a series histogram's exposition is prom-client's, line for line", async () => {
  const { ours, theirs, series, reference } = both();
  const a = series.labels({ model: "gpt-4o", stream: "true" });
  const b = series.labels({ model: 'odd "name"\\', stream: "false" });
  for (const v of VALUES) {
    a.observe(v);
    reference.observe({ model: "gpt-4o", stream: "true" }, v);
  }
  b.observe(0.02);
  reference.observe({ model: 'odd "name"\\', stream: "false" }, 0.02);

  const text = await ours.metrics();
  expect(text).toBe(await theirs.metrics());
  expect(text).toContain('h_seconds_bucket{le="0.005",model="gpt-4o",stream="true"} 3');
  expect(text).toContain('h_seconds_bucket{le="+Inf",model="gpt-4o",stream="true"} 10');
  expect(text).toContain('h_seconds_count{model="gpt-4o",stream="true"} 10');
  // As JSON (prom-client's own values also carry `exemplar: undefined`, which JSON drops).
  expect(JSON.stringify(await ours.getMetricsAsJSON())).toBe(JSON.stringify(await theirs.getMetricsAsJSON()));
});

test("the same label set is one series; reset zeroes it and keeps it in use", async () => {
  const { ours, series } = both();
  const first = series.labels({ model: "m", stream: "true" });
  expect(series.labels({ stream: "true", model: "m" })).toBe(first);
  first.observe(0.2);
  ours.resetMetrics();
  expect(await ours.metrics()).toContain('h_seconds_count{model="m",stream="true"} 0');
  first.observe(0.2);
  expect(await ours.metrics()).toContain('h_seconds_count{model="m",stream="true"} 1');
});

test("a value that is not a finite number is not counted and does not throw", async () => {
  const { ours, series } = both();
  const s = series.labels({ model: "m", stream: "true" });
  s.observe(Number.NaN);
  s.observe(Number.POSITIVE_INFINITY);
  s.observe(0.5);
  expect(await ours.metrics()).toContain('h_seconds_count{model="m",stream="true"} 1');
});

test("completion counters summed between reads add up to what prom-client would count", async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const completions = new CompletionMetrics(metrics);
  const reference = new Registry();
  const requests = new Counter({
    name: "completion_requests_total",
    help: "x",
    labelNames: ["model", "provider", "api", "stream", "status"],
    registers: [reference],
  });
  const tokens = new Counter({
    name: "completion_tokens_total",
    help: "x",
    labelNames: ["model", "provider", "api", "kind"],
    registers: [reference],
  });
  const record = (
    status: string,
    usage: { inputTokens: number; outputTokens: number; reasoningTokens?: number } | null,
    api: CompletionApi = "completions",
  ) => {
    completions.record({
      model: "m",
      provider: "openai",
      api,
      stream: true,
      status,
      durationSeconds: 0.1,
      overheadSeconds: 0.0001,
      timeToFirstTokenSeconds: 0.05,
      usage,
    });
    requests.inc({ model: "m", provider: "openai", api, stream: "true", status });
    if (usage) {
      tokens.inc({ model: "m", provider: "openai", api, kind: "input" }, usage.inputTokens);
      tokens.inc({ model: "m", provider: "openai", api, kind: "output" }, usage.outputTokens);
      if (usage.reasoningTokens) tokens.inc({ model: "m", provider: "openai", api, kind: "reasoning" }, usage.reasoningTokens);
    }
  };
  const counters = async (registry: Registry) =>
    (await registry.metrics())
      .split("\n")
      .filter((l) => l.startsWith("completion_requests_total{") || l.startsWith("completion_tokens_total{"))
      .sort();

  record("success", { inputTokens: 10, outputTokens: 5 });
  record("success", { inputTokens: 0, outputTokens: 0 });
  record("upstream_error", null);
  record("success", { inputTokens: 7, outputTokens: 1 }, "openai_chat");
  expect(await counters(metrics.registry)).toEqual(await counters(reference));
  // Counted again after a read: the sums carry on from what was added, nothing twice.
  record("success", { inputTokens: 1, outputTokens: 2, reasoningTokens: 3 });
  record("cancelled", null);
  record("success", { inputTokens: 1, outputTokens: 1 }, "anthropic_messages");
  const afterTwo = await counters(metrics.registry);
  expect(afterTwo).toEqual(await counters(reference));
  expect(afterTwo).toContain('completion_requests_total{model="m",provider="openai",api="completions",stream="true",status="success"} 3');
  expect(afterTwo).toContain('completion_requests_total{model="m",provider="openai",api="openai_chat",stream="true",status="success"} 1');
  expect(afterTwo).toContain(
    'completion_requests_total{model="m",provider="openai",api="anthropic_messages",stream="true",status="success"} 1',
  );
  expect(afterTwo).toContain('completion_tokens_total{model="m",provider="openai",api="completions",kind="reasoning"} 3');
  expect(afterTwo).toContain('completion_tokens_total{model="m",provider="openai",api="openai_chat",kind="input"} 7');
  expect(await counters(metrics.registry)).toEqual(afterTwo);
});
