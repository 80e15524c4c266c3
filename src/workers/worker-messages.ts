/** What the supervisor and its workers tell each other over the IPC channel of `Bun.spawn`. */
import type { Registry } from "prom-client";

/** Set on every worker: its index, 0 to WORKERS − 1; a restarted worker keeps its predecessor's. */
export const WORKER_INDEX_ENV = "COMPLETION_WORKER_INDEX";

/** A registry's metrics as prom-client's `getMetricsAsJSON()` gives them. */
export type MetricsJson = Awaited<ReturnType<Registry["getMetricsAsJSON"]>>;

/** What a worker says of itself, about once a second. */
export interface WorkerBeat {
  serving: boolean;
  degraded: boolean;
  activeStreams: number;
  /** Completions this worker has answered since it started. */
  completions: number;
}

/** One worker as health shows it. */
export interface WorkerView {
  index: number;
  pid: number | null;
  status: "starting" | "ok" | "degraded" | "unavailable" | "restarting";
  restarts: number;
  startedAt: string | null;
  activeStreams?: number;
  completions?: number;
  /** Why the previous process of this index ended, when one did. */
  lastExit?: { code: number | null; signal: string | null; at: string };
}

export type WorkerToSupervisor =
  | { t: "ready" }
  | { t: "beat"; beat: WorkerBeat; metrics: MetricsJson }
  /** A scrape landed on this worker: it wants its siblings' metrics. */
  | { t: "scrape"; id: number }
  /** The answer to `collect`. */
  | { t: "collected"; id: number; metrics: MetricsJson };

export type SupervisorToWorker =
  | { t: "workers"; workers: WorkerView[] }
  | { t: "collect"; id: number }
  /** The siblings' metrics (fresh, or last seen when one did not answer in time) and those of workers that died. */
  | { t: "scraped"; id: number; metrics: MetricsJson[] };
