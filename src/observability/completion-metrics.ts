/**
 * Records one finished completion in the metrics, at a few additions' cost: the series of each
 * (model, provider, stream) are kept (a set bounded by the mapping), histograms are observed on
 * their series, and the counters are summed here and added to prom-client's counters when the
 * metrics are read (prom-client hashes and validates the label set on every `inc`).
 */
import type { Usage } from "../core/events";
import type { Metrics } from "./metrics";
import type { HistogramSeries } from "./series-histogram";

interface Bound {
  model: string;
  provider: string;
  stream: string;
  /** Requests per status since the last read. */
  requests: Map<string, number>;
  duration: HistogramSeries;
  overhead: HistogramSeries;
  timeToFirstToken: HistogramSeries;
  /** Tokens since the last read; `usageSeen`: some completion reported usage (even of 0). */
  usageSeen: boolean;
  input: number;
  output: number;
  reasoning: number;
  cachedInput: number;
}

export interface CompletionRecord {
  model: string;
  provider: string;
  stream: boolean;
  /** `success`, `cancelled`, or the error code. */
  status: string;
  durationSeconds: number;
  overheadSeconds: number;
  /** Streams only: request to first chunk. */
  timeToFirstTokenSeconds: number | null;
  usage: Usage | null;
}

export class CompletionMetrics {
  private readonly bound = new Map<string, Bound>();

  constructor(private readonly metrics: Metrics) {
    metrics.beforeRead(() => this.addCounts());
  }

  record(r: CompletionRecord): void {
    const b = this.for(r.model, r.provider, r.stream);
    b.requests.set(r.status, (b.requests.get(r.status) ?? 0) + 1);
    b.duration.observe(r.durationSeconds);
    b.overhead.observe(r.overheadSeconds);
    if (r.timeToFirstTokenSeconds !== null) b.timeToFirstToken.observe(r.timeToFirstTokenSeconds);
    const u = r.usage;
    if (u) {
      b.usageSeen = true;
      b.input += u.inputTokens;
      b.output += u.outputTokens;
      if (u.reasoningTokens) b.reasoning += u.reasoningTokens;
      if (u.cachedInputTokens) b.cachedInput += u.cachedInputTokens;
    }
  }

  /** Adds what was summed since the last read to prom-client's counters. */
  private addCounts(): void {
    const { requests, tokens } = this.metrics;
    for (const b of this.bound.values()) {
      const { model, provider, stream } = b;
      for (const [status, n] of b.requests) if (n > 0) requests.inc({ model, provider, stream, status }, n);
      b.requests.clear();
      if (b.usageSeen) {
        tokens.inc({ model, provider, kind: "input" }, b.input);
        tokens.inc({ model, provider, kind: "output" }, b.output);
        b.usageSeen = false;
      }
      if (b.reasoning > 0) tokens.inc({ model, provider, kind: "reasoning" }, b.reasoning);
      if (b.cachedInput > 0) tokens.inc({ model, provider, kind: "cached_input" }, b.cachedInput);
      b.input = b.output = b.reasoning = b.cachedInput = 0;
    }
  }

  private for(model: string, provider: string, stream: boolean): Bound {
    const key = `${model}\u0000${provider}\u0000${stream}`;
    let b = this.bound.get(key);
    if (!b) {
      const m = this.metrics;
      const s = String(stream);
      b = {
        model,
        provider,
        stream: s,
        requests: new Map(),
        duration: m.duration.labels({ model, provider, stream: s }),
        overhead: m.gatewayOverhead.labels({ stream: s }),
        timeToFirstToken: m.timeToFirstToken.labels({ model, provider }),
        usageSeen: false,
        input: 0,
        output: 0,
        reasoning: 0,
        cachedInput: 0,
      };
      this.bound.set(key, b);
    }
    return b;
  }
}
