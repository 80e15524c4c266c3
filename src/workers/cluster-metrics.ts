/**
 * The metrics of all workers as one service's: counters summed, histograms merged, gauges summed
 * (streams open, events pending), except those that mean something per process, which keep a
 * `worker` label (circuit states: each worker has its own breakers).
 */
import { AggregatorRegistry, type Registry } from "prom-client";
import type { MetricsJson } from "./worker-messages";

/** Gauges that are one process's state: summing them means nothing. */
const PER_WORKER = new Set(["completion_target_state"]);
/** The same in every worker: shown once. */
const SAME_IN_EVERY_WORKER = new Set(["completion_build_info"]);

/** Marks a worker's metrics for merging: its per-process gauges get its `worker` label. */
export function labelWorker(metrics: MetricsJson, index: number): MetricsJson {
  return metrics.map((metric) => {
    if (SAME_IN_EVERY_WORKER.has(metric.name)) return { ...metric, aggregator: "first" };
    if (!PER_WORKER.has(metric.name)) return metric;
    return { ...metric, values: metric.values.map((v) => ({ ...v, labels: { ...v.labels, worker: String(index) } })) };
  });
}

/** One registry holding the merged metrics of the given workers (each already `labelWorker`ed). */
export function mergeWorkers(perWorker: MetricsJson[]): Registry {
  return AggregatorRegistry.aggregate(perWorker.filter((m) => m.length > 0));
}
