/**
 * Records one finished completion in the metrics, at a few additions' cost: the series of each
 * (model, provider, api, stream) are made once and kept (a set bounded by the mapping and the three
 * doors), histograms are observed on their series and counters counted on their `SummedCounter`s.
 */
import type { CompletionApi } from "../completion/completion-execution";
import type { Usage } from "../core/events";
import type { Cost } from "../cost/cost-of-usage";
import type { Metrics, SummedCounter } from "./metrics";
import type { HistogramSeries } from "./series-histogram";

interface Bound {
  requests: Map<string, SummedCounter>;
  duration: HistogramSeries;
  overhead: HistogramSeries;
  timeToFirstToken: HistogramSeries;
  input: SummedCounter;
  output: SummedCounter;
  reasoning: SummedCounter;
  cachedInput: SummedCounter;
  /** By currency: a refreshed mapping may price a model in another. */
  cost: Map<string, SummedCounter>;
}

export interface CompletionRecord {
  model: string;
  provider: string;
  /** The door the request came through, as on its usage event. */
  api: CompletionApi;
  stream: boolean;
  /** `success`, `cancelled`, or the error code. */
  status: string;
  durationSeconds: number;
  overheadSeconds: number;
  /** Streams only: request to first chunk. */
  timeToFirstTokenSeconds: number | null;
  usage: Usage | null;
  cost?: Cost | null;
}

export class CompletionMetrics {
  private readonly bound = new Map<string, Bound>();

  constructor(private readonly metrics: Metrics) {}

  record(r: CompletionRecord): void {
    const b = this.for(r.model, r.provider, r.api, r.stream);
    let requests = b.requests.get(r.status);
    if (!requests) {
      requests = this.metrics.summed(this.metrics.requests, {
        model: r.model,
        provider: r.provider,
        api: r.api,
        stream: String(r.stream),
        status: r.status,
      });
      b.requests.set(r.status, requests);
    }
    requests.inc();
    b.duration.observe(r.durationSeconds);
    b.overhead.observe(r.overheadSeconds);
    if (r.timeToFirstTokenSeconds !== null) b.timeToFirstToken.observe(r.timeToFirstTokenSeconds);
    const u = r.usage;
    if (u) {
      b.input.inc(u.inputTokens);
      b.output.inc(u.outputTokens);
      if (u.reasoningTokens) b.reasoning.inc(u.reasoningTokens);
      if (u.cachedInputTokens) b.cachedInput.inc(u.cachedInputTokens);
    }
    const cost = r.cost;
    if (cost) {
      let counter = b.cost.get(cost.currency);
      if (!counter) {
        counter = this.metrics.summed(this.metrics.cost, { model: r.model, provider: r.provider, api: r.api, currency: cost.currency });
        b.cost.set(cost.currency, counter);
      }
      counter.inc(cost.total);
    }
  }

  private for(model: string, provider: string, api: CompletionApi, stream: boolean): Bound {
    const key = `${model}\u0000${provider}\u0000${api}\u0000${stream}`;
    let b = this.bound.get(key);
    if (!b) {
      const m = this.metrics;
      const s = String(stream);
      b = {
        requests: new Map(),
        duration: m.duration.labels({ model, provider, api, stream: s }),
        overhead: m.gatewayOverhead.labels({ stream: s }),
        timeToFirstToken: m.timeToFirstToken.labels({ model, provider, api }),
        input: m.summed(m.tokens, { model, provider, api, kind: "input" }),
        output: m.summed(m.tokens, { model, provider, api, kind: "output" }),
        reasoning: m.summed(m.tokens, { model, provider, api, kind: "reasoning" }),
        cachedInput: m.summed(m.tokens, { model, provider, api, kind: "cached_input" }),
        cost: new Map(),
      };
      this.bound.set(key, b);
    }
    return b;
  }
}
