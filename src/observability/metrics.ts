/**
 * The Prometheus metrics (docs/operations.md, "Health and metrics"), on a registry of their own (one per app instance).
 * What every completion records is kept cheap: its histograms are `SeriesHistogram`s, and its
 * counters are `SummedCounter`s, added to prom-client's counters when the metrics are read.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { BUILD_INFO } from "../config/build-info";
import { SeriesHistogram } from "./series-histogram";

/**
 * One label set of a prom-client counter, counted in a plain number and added to the counter when
 * the metrics are read: prom-client hashes and validates the label set on every `inc`, even on a
 * label-bound child. Made by `Metrics.summed`.
 */
export class SummedCounter {
  private pending = 0;
  private touched = false;

  constructor(
    private readonly counter: Counter<string>,
    private readonly labels: Readonly<Record<string, string>>,
  ) {}

  inc(value = 1): void {
    this.pending += value;
    this.touched = true;
  }

  /** Adds what was counted since the last read (an `inc(0)` still makes the series appear). */
  addToCounter(): void {
    if (!this.touched) return;
    this.counter.inc(this.labels, this.pending);
    this.pending = 0;
    this.touched = false;
  }
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const OVERHEAD_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

/**
 * prom-client's default metrics that are false under Bun, checked against /proc/self/status and
 * `process.memoryUsage()`: `process_heap_bytes` is the data segment (VmData, gigabytes of address
 * space JavaScriptCore reserves, not heap); `nodejs_version_info` is the Node version Bun claims
 * to be; the per-space heap figures are V8's spaces, which JavaScriptCore does not have (zeros);
 * the active handle/request/resource counts are always 0 (Bun does not report them). The others
 * hold: resident memory, CPU, start time, file descriptors, event-loop lag, heap used and total.
 */
const FALSE_UNDER_BUN = [
  "process_heap_bytes",
  "nodejs_version_info",
  "nodejs_heap_space_size_total_bytes",
  "nodejs_heap_space_size_used_bytes",
  "nodejs_heap_space_size_available_bytes",
  "nodejs_active_handles",
  "nodejs_active_handles_total",
  "nodejs_active_requests",
  "nodejs_active_requests_total",
  "nodejs_active_resources",
  "nodejs_active_resources_total",
];

export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    for (const name of FALSE_UNDER_BUN) if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
  }
  const registers = [registry];
  // One series, always 1: its labels say what is running (join it on instance in queries).
  new Gauge({
    name: "completion_build_info",
    help: "The running build: package version and git commit",
    labelNames: ["version", "commit"] as const,
    registers,
  }).set({ version: BUILD_INFO.version, commit: BUILD_INFO.commit ?? "unknown" }, 1);
  const summed: SummedCounter[] = [];
  // Run when any counter that has summed label sets is read: adds them all.
  const collect = () => {
    for (const s of summed) s.addToCounter();
  };
  return {
    registry,
    /** A label set of `counter` (one of those given `collect` below) to count on the hot path. */
    summed<L extends string>(counter: Counter<L>, labels: Readonly<Record<L, string>>): SummedCounter {
      const s = new SummedCounter(counter as Counter<string>, labels);
      summed.push(s);
      return s;
    },
    requests: new Counter({
      name: "completion_requests_total",
      help: "Completion requests by outcome",
      labelNames: ["model", "provider", "api", "stream", "status"] as const,
      registers,
      collect,
    }),
    duration: new SeriesHistogram({
      name: "completion_request_duration_seconds",
      help: "Completion request duration, to the last byte",
      labelNames: ["model", "provider", "api", "stream"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    timeToFirstToken: new SeriesHistogram({
      name: "completion_time_to_first_token_seconds",
      help: "Time from request to the first streamed chunk",
      labelNames: ["model", "provider", "api"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    tokens: new Counter({
      name: "completion_tokens_total",
      help: "Tokens by kind (input, output, reasoning, cached_input)",
      labelNames: ["model", "provider", "api", "kind"] as const,
      registers,
      collect,
    }),
    cost: new Counter({
      name: "completion_cost_total",
      help: "What completions cost at the mapping's prices, in the currency's units",
      labelNames: ["model", "provider", "api", "currency"] as const,
      registers,
      collect,
    }),
    upstreamErrors: new Counter({
      name: "completion_upstream_errors_total",
      help: "Failed upstream attempts by provider type and error code",
      labelNames: ["provider", "code"] as const,
      registers,
    }),
    activeStreams: new Gauge({
      name: "completion_active_streams",
      help: "Streams open to clients",
      registers,
    }),
    usageEvents: new Counter({
      name: "completion_usage_events_total",
      help: "Usage events by result (published, failed, spooled, dead_lettered, lost)",
      labelNames: ["result"] as const,
      registers,
      collect,
    }),
    usageEventsDegraded: new Counter({
      name: "completion_usage_events_degraded_total",
      help: "Usage events published with a field cut to its cap (too_large) or left out (unserialisable)",
      labelNames: ["reason"] as const,
      registers,
    }),
    usageEventsPending: new Gauge({
      name: "completion_usage_events_pending",
      help: "Usage events waiting to be delivered (memory and spool)",
      registers,
    }),
    gatewayOverhead: new SeriesHistogram({
      name: "completion_gateway_overhead_seconds",
      help: "Time spent in the service itself per request, excluding the wait for the upstream",
      labelNames: ["stream"] as const,
      buckets: OVERHEAD_BUCKETS,
      registers,
    }),
    targetState: new Gauge({
      name: "completion_target_state",
      help: "Circuit state per target: 0 closed, 1 half-open, 2 open",
      labelNames: ["provider", "provider_id", "deployment"] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
