/**
 * WORKERS > 1: this process runs that many copies of the service, all listening on the same port
 * (`reusePort`: the kernel spreads new connections over them), and serves nothing itself. Keeping
 * it out of the request path means a fault in the serving code cannot take down what restarts the
 * workers, and its one thread is always free to relay a scrape between workers.
 *
 * A worker that dies is restarted under the same index (so it publishes the usage events its
 * predecessor left in that index's spool), after a pause that doubles from 100 ms to 10 s while
 * restarts keep failing. A worker that fails before it ever became ready ends the supervisor with
 * its exit code: a start-up error (a bad mapping) is reported once, not retried forever.
 *
 * SIGTERM/SIGINT: passed to every worker, which drains; exit 0 once all have ended, or after the
 * grace period and a margin, when the ones left are killed.
 */
import type { Subprocess } from "bun";
import type { Logger } from "../observability/logger";
import { isoTime } from "../observability/iso-time";
import { labelWorker } from "./cluster-metrics";
import { WORKER_INDEX_ENV, type MetricsJson, type SupervisorToWorker, type WorkerToSupervisor, type WorkerView } from "./worker-messages";

export interface SupervisorOptions {
  count: number;
  /** The command line of a worker: this program again. */
  command: string[];
  env: Record<string, string | undefined>;
  logger: Logger;
  /** How long workers have to drain on SIGTERM (SHUTDOWN_GRACE_MS). */
  shutdownGraceMs: number;
  /** Restart pauses; production defaults. */
  backoff?: { firstMs: number; maxMs: number };
}

/** A restart after a worker ran this long starts the backoff over. */
const STABLE_AFTER_MS = 30_000;
/** A scrape waits this long for a sibling's fresh metrics, then uses what it last sent. */
const COLLECT_TIMEOUT_MS = 1_000;
/** Beyond the grace period, what a draining worker gets to flush and close before it is killed. */
const STOP_MARGIN_MS = 5_000;

interface Slot {
  index: number;
  proc: Subprocess | null;
  ready: boolean;
  everReady: boolean;
  restarts: number;
  startedAtMs: number;
  backoffMs: number;
  view: WorkerView;
  /** The latest metrics it sent (beat or scrape): kept when it dies, so counters do not go back. */
  lastMetrics: MetricsJson;
}

interface PendingScrape {
  from: Slot;
  /** The asking worker's own id for its scrape. */
  replyId: number;
  waiting: Set<number>;
  collected: Map<number, MetricsJson>;
  timer: ReturnType<typeof setTimeout>;
}

export async function runSupervisor(options: SupervisorOptions): Promise<never> {
  const { logger, count } = options;
  const firstMs = options.backoff?.firstMs ?? 100;
  const maxMs = options.backoff?.maxMs ?? 10_000;
  const slots: Slot[] = [];
  /** Counters and histograms of workers that died, under their index, so the sums never go back. */
  const retired: MetricsJson[] = [];
  const scrapes = new Map<number, PendingScrape>();
  let nextScrape = 1;
  const relays = new Set<Promise<void>>();
  let stopping = false;
  let exitCode: number | null = null;

  const views = () => slots.map((s) => s.view);
  const broadcast = () => {
    const message: SupervisorToWorker = { t: "workers", workers: views() };
    for (const s of slots) if (s.ready) send(s, message);
  };
  const send = (slot: Slot, message: SupervisorToWorker) => {
    try {
      slot.proc?.send(message);
    } catch {
      // It is exiting; its exit handler takes over.
    }
  };

  const finishScrape = (id: number) => {
    const pending = scrapes.get(id);
    if (!pending) return;
    scrapes.delete(id);
    clearTimeout(pending.timer);
    const metrics: MetricsJson[] = [...retired];
    for (const s of slots) {
      if (s === pending.from) continue;
      metrics.push(labelWorker(pending.collected.get(s.index) ?? s.lastMetrics, s.index));
    }
    send(pending.from, { t: "scraped", id: pending.replyId, metrics });
  };

  const onMessage = (slot: Slot, message: WorkerToSupervisor) => {
    switch (message.t) {
      case "ready":
        slot.ready = true;
        slot.everReady = true;
        slot.view = { ...slot.view, status: "ok" };
        logger.info("worker ready", { worker: slot.index, pid: slot.proc?.pid });
        broadcast();
        return;
      case "beat": {
        slot.lastMetrics = message.metrics;
        const b = message.beat;
        slot.view = {
          ...slot.view,
          status: !b.serving ? "unavailable" : b.degraded ? "degraded" : "ok",
          activeStreams: b.activeStreams,
          completions: b.completions,
        };
        return;
      }
      case "scrape": {
        const id = nextScrape++;
        const siblings = slots.filter((s) => s !== slot && s.ready);
        const pending: PendingScrape = {
          from: slot,
          replyId: message.id,
          waiting: new Set(siblings.map((s) => s.index)),
          collected: new Map(),
          timer: setTimeout(() => finishScrape(id), COLLECT_TIMEOUT_MS),
        };
        scrapes.set(id, pending);
        for (const s of siblings) send(s, { t: "collect", id });
        if (siblings.length === 0) finishScrape(id);
        return;
      }
      case "collected": {
        const pending = scrapes.get(message.id);
        slot.lastMetrics = message.metrics;
        if (!pending) return;
        pending.collected.set(slot.index, message.metrics);
        pending.waiting.delete(slot.index);
        if (pending.waiting.size === 0) finishScrape(message.id);
        return;
      }
    }
  };

  const start = (slot: Slot) => {
    const proc = Bun.spawn(options.command, {
      env: { ...options.env, [WORKER_INDEX_ENV]: String(slot.index) },
      stdin: "ignore",
      // Relayed whole lines at a time: workers writing to one pipe would cut into each other's lines.
      stdout: "pipe",
      stderr: "inherit",
      serialization: "advanced",
      ipc: (message) => onMessage(slot, message as WorkerToSupervisor),
      onExit: (_p, code, signal) => onExit(slot, code, signal ? String(signal) : null),
    });
    relays.add(relayLines(proc.stdout));
    slot.proc = proc;
    slot.ready = false;
    slot.startedAtMs = Date.now();
    slot.view = { ...slot.view, pid: proc.pid, status: "starting", startedAt: isoTime() };
  };

  const onExit = (slot: Slot, code: number | null, signal: string | null) => {
    slot.proc = null;
    slot.ready = false;
    // Its last counters stay in the sums; its gauges (streams open, events pending) are gone with it.
    const last = slot.lastMetrics.filter((m) => String(m.type) === "counter" || String(m.type) === "histogram");
    if (last.length) retired.push(labelWorker(last, slot.index));
    slot.lastMetrics = [];
    for (const [id, pending] of scrapes) {
      if (pending.from === slot) {
        clearTimeout(pending.timer);
        scrapes.delete(id);
      } else if (pending.waiting.delete(slot.index) && pending.waiting.size === 0) finishScrape(id);
    }
    const lastExit = { code, signal, at: isoTime() };
    if (stopping) {
      slot.view = { ...slot.view, pid: null, status: "unavailable", lastExit };
      logger.info("worker stopped", { worker: slot.index, code, signal });
      if (slots.every((s) => s.proc === null)) finish();
      return;
    }
    if (!slot.everReady) {
      logger.error("worker failed at start-up; stopping", { worker: slot.index, code, signal });
      exitCode = code && code !== 0 ? code : 1;
      stopAll("worker start-up failed");
      return;
    }
    if (Date.now() - slot.startedAtMs > STABLE_AFTER_MS) slot.backoffMs = firstMs;
    const delay = slot.backoffMs;
    slot.backoffMs = Math.min(maxMs, slot.backoffMs * 2);
    slot.restarts++;
    slot.view = { ...slot.view, pid: null, status: "restarting", restarts: slot.restarts, lastExit };
    logger.error("worker died; restarting it", { worker: slot.index, code, signal, restartInMs: delay, restarts: slot.restarts });
    broadcast();
    setTimeout(() => {
      if (!stopping) start(slot);
    }, delay);
  };

  let done: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (done = resolve));
  const finish = () => done(exitCode ?? 0);

  const stopAll = (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("stopping workers", { reason, workers: slots.filter((s) => s.proc).length });
    for (const s of slots) s.proc?.kill("SIGTERM");
    if (slots.every((s) => s.proc === null)) finish();
    setTimeout(() => {
      const left = slots.filter((s) => s.proc);
      if (left.length) logger.warn("workers still running after the grace period; killing them", { workers: left.map((s) => s.index) });
      for (const s of left) s.proc?.kill("SIGKILL");
    }, options.shutdownGraceMs + STOP_MARGIN_MS).unref();
  };

  process.on("SIGTERM", () => stopAll("SIGTERM"));
  process.on("SIGINT", () => stopAll("SIGINT"));

  for (let index = 0; index < count; index++) {
    const slot: Slot = {
      index,
      proc: null,
      ready: false,
      everReady: false,
      restarts: 0,
      startedAtMs: 0,
      backoffMs: firstMs,
      view: { index, pid: null, status: "starting", restarts: 0, startedAt: null },
      lastMetrics: [],
    };
    slots.push(slot);
    start(slot);
  }
  logger.info("supervising workers", { workers: count, pid: process.pid });
  // Beats change the views; every worker gets the table once a second.
  setInterval(broadcast, 1_000);
  const code = await finished;
  // The workers' last lines (usage events of the log sink among them) are copied before we exit.
  await Promise.race([Promise.all(relays), Bun.sleep(2_000)]);
  logger.info("stopped", { workers: count });
  process.exit(code);
}

/** Copies a worker's output to ours, always ending a write at the end of a line. */
async function relayLines(stream: ReadableStream<Uint8Array>): Promise<void> {
  let rest: Uint8Array | null = null;
  try {
    for await (const chunk of stream) {
      let data = chunk;
      if (rest) {
        data = new Uint8Array(rest.length + chunk.length);
        data.set(rest);
        data.set(chunk, rest.length);
      }
      const end = data.lastIndexOf(10);
      if (end < 0) {
        rest = data;
        continue;
      }
      process.stdout.write(data.subarray(0, end + 1));
      rest = end + 1 < data.length ? data.slice(end + 1) : null;
    }
  } catch {
    // The worker ended; what it wrote is copied.
  }
  if (rest) process.stdout.write(rest);
}
