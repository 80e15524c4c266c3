/**
 * A Prometheus histogram for the per-completion path. prom-client's `Histogram` turns the label
 * set into a string key and validates it on every observation, even through a label-bound child
 * (about 1 µs each; a completion makes three). Here each label set is a `HistogramSeries` the
 * caller keeps, and observing one is a bucket search and three additions. The histogram is
 * registered on the prom-client registry, which formats it exactly as its own histograms.
 */
import type { Metric, Registry } from "prom-client";

/** One line of the exposition, in the shape prom-client's registry formats. */
interface SampleValue {
  labels: Record<string, string | number>;
  sharedLabels?: Readonly<Record<string, string>>;
  value: number;
  metricName: string;
  /** Buckets carry one (always none here), as prom-client's do. */
  exemplar?: null;
}

interface HistogramData {
  name: string;
  help: string;
  type: "histogram";
  values: SampleValue[];
  aggregator: "sum";
}

export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    // A duration is always finite; should one not be, it is not worth an exception here.
    if (!Number.isFinite(value)) return;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

export interface SeriesHistogramConfig<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  buckets: readonly number[];
  registers: Registry[];
}

export class SeriesHistogram<L extends string> {
  readonly type = "histogram";
  readonly aggregator = "sum";
  readonly name: string;
  readonly help: string;
  private readonly labelNames: readonly L[];
  private readonly buckets: readonly number[];
  private readonly series = new Map<string, HistogramSeries>();

  constructor(config: SeriesHistogramConfig<L>) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames;
    this.buckets = [...config.buckets].sort((a, b) => a - b);
    // The registry only calls `get()` / `getForPromString()` and `reset()`, which this has.
    for (const registry of config.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The series of one label set; keep it and observe on it. */
  labels(labels: Readonly<Record<L, string>>): HistogramSeries {
    const key = this.labelNames.map((name) => labels[name]).join("\u0000");
    let series = this.series.get(key);
    if (!series) {
      const own: Record<string, string> = {};
      for (const name of this.labelNames) own[name] = labels[name];
      series = new HistogramSeries(own, this.buckets);
      this.series.set(key, series);
    }
    return series;
  }

  /** As prom-client's histograms give it to the registry for the text format. */
  async getForPromString(): Promise<HistogramData> {
    const values: SampleValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const series of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        cumulative += series.counts[i]!;
        values.push({
          labels: { le: this.buckets[i]! },
          sharedLabels: series.labels,
          value: cumulative,
          metricName: bucket,
          exemplar: null,
        });
      }
      values.push(
        { labels: { le: "+Inf" }, sharedLabels: series.labels, value: series.count, metricName: bucket, exemplar: null },
        { labels: {}, sharedLabels: series.labels, value: series.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels: series.labels, value: series.count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** As prom-client's histograms give it for JSON: the series' labels merged into each value's. */
  async get(): Promise<HistogramData> {
    const data = await this.getForPromString();
    data.values = data.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } }));
    return data;
  }

  /** Zeroes every series (callers keep theirs, so they stay registered). */
  reset(): void {
    for (const series of this.series.values()) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}
