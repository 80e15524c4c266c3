/**
 * A worker's side of WORKERS > 1: it tells the supervisor it is ready and how it is (once a
 * second, with its metrics), answers its siblings' scrapes, and makes its `/metrics` and health
 * speak for every worker, whichever one a request lands on.
 */
import type { Registry } from "prom-client";
import type { HealthReport } from "../http/health-route";
import type { Logger } from "../observability/logger";
import type { Metrics } from "../observability/metrics";
import { labelWorker, mergeWorkers } from "./cluster-metrics";
import type { MetricsJson, SupervisorToWorker, WorkerBeat, WorkerToSupervisor, WorkerView } from "./worker-messages";

const BEAT_MS = 1_000;
/** A scrape that the supervisor does not answer in this time shows this worker alone. */
const SCRAPE_TIMEOUT_MS = 2_000;

export interface WorkerLinkOptions {
  index: number;
  metrics: Metrics;
  logger: Logger;
  /** The worker's own health (the service's). */
  health: () => HealthReport;
  /** Called when the supervisor is gone: the worker drains and exits rather than live on unsupervised. */
  orphaned: () => void;
}

export class WorkerLink {
  private workers: WorkerView[] = [];
  private readonly scrapes = new Map<number, (metrics: MetricsJson[] | null) => void>();
  private nextScrape = 1;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** The registry's own `metrics()`, before `install` makes it speak for all workers. */
  private readonly ownJson: () => Promise<MetricsJson>;

  constructor(private readonly options: WorkerLinkOptions) {
    const registry = options.metrics.registry;
    this.ownJson = registry.getMetricsAsJSON.bind(registry);
    process.on("message", (message: SupervisorToWorker) => this.onMessage(message));
    process.on("disconnect", () => {
      options.logger.warn("the supervisor is gone; stopping this worker");
      options.orphaned();
    });
  }

  /** Makes the registry's exposition (what `/metrics` answers) the merge of every worker's. */
  installClusterMetrics(): void {
    const registry: Registry = this.options.metrics.registry;
    registry.metrics = () => this.clusterMetrics();
  }

  /** The worker's own health, with a `workers` check listing each worker; degraded while one is not ok. */
  clusterHealth(own: HealthReport): HealthReport {
    const workers = this.workers.map((w) => (w.index === this.options.index ? { ...w, status: ownStatus(own), self: true } : w));
    const allOk = workers.every((w) => w.status === "ok");
    return {
      ...own,
      degraded: own.degraded || !allOk,
      checks: { ...own.checks, workers: { status: allOk ? "ok" : "degraded", worker: this.options.index, workers } },
    };
  }

  /** Tells the supervisor this worker serves; beats start. */
  ready(): void {
    this.send({ t: "ready" });
    this.timer = setInterval(() => void this.beat(), BEAT_MS);
  }

  /** A last beat (its final counters), then no more. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.beat();
  }

  private async beat(): Promise<void> {
    const metrics = await this.ownJson();
    const own = this.options.health();
    const beat: WorkerBeat = {
      serving: own.serving,
      degraded: own.degraded,
      activeStreams: Number(own.checks.activeStreams ?? 0),
      completions: completions(metrics),
    };
    this.send({ t: "beat", beat, metrics });
  }

  private async clusterMetrics(): Promise<string> {
    const id = this.nextScrape++;
    const siblings = new Promise<MetricsJson[] | null>((resolve) => {
      this.scrapes.set(id, resolve);
      setTimeout(() => {
        if (this.scrapes.delete(id)) {
          this.options.logger.warn("the other workers' metrics did not arrive in time; /metrics shows this worker only");
          resolve(null);
        }
      }, SCRAPE_TIMEOUT_MS);
    });
    this.send({ t: "scrape", id });
    const [own, others] = await Promise.all([this.ownJson(), siblings]);
    return mergeWorkers([labelWorker(own, this.options.index), ...(others ?? [])]).metrics();
  }

  private onMessage(message: SupervisorToWorker): void {
    switch (message.t) {
      case "workers":
        this.workers = message.workers;
        return;
      case "collect":
        void this.ownJson().then((metrics) => this.send({ t: "collected", id: message.id, metrics }));
        return;
      case "scraped": {
        const resolve = this.scrapes.get(message.id);
        this.scrapes.delete(message.id);
        resolve?.(message.metrics);
        return;
      }
    }
  }

  private send(message: WorkerToSupervisor): void {
    try {
      process.send?.(message);
    } catch {
      // The channel is closed: `disconnect` says so.
    }
  }
}

function ownStatus(report: HealthReport): WorkerView["status"] {
  return !report.serving ? "unavailable" : report.degraded ? "degraded" : "ok";
}

function completions(metrics: MetricsJson): number {
  const requests = metrics.find((m) => m.name === "completion_requests_total");
  return requests ? requests.values.reduce((sum, v) => sum + v.value, 0) : 0;
}
