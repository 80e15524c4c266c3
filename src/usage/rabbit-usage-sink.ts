/**
 * Usage events to RabbitMQ, at least once (docs/usage-events.md; why: docs/decisions/0004).
 *
 * `publish` runs on the response path: it only appends to a memory queue. A background pump sends
 * events in batches on a confirm channel; an event counts as delivered only once the broker
 * confirms it, and anything not confirmed (nack, unroutable, connection lost) is retried.
 * While the broker is unreachable or blocks publishing, events older than `spillAfterMs` are
 * written to the spool on disk, and the memory queue overflows there whenever it passes its bound;
 * `close` spools whatever is still unconfirmed, and the next start sends the spool first.
 *
 * Delivery order: retries of the last batch, then the spool (oldest file first), then the memory
 * queue. Events move from the front of the memory queue to the end of the spool, so apart from
 * retries this is the order in which they were accepted.
 *
 * One event the broker refuses (it closes the channel, e.g. a message above its
 * `max_message_size`) must not hold up the rest: when the broker names the size it refused, every
 * event above it is parked in the dead-letter file at once; otherwise the events of the refused
 * batch are sent again one at a time, and one refused on its own `deadLetterAfterRefusals` times
 * is parked. Refusals back off like nacks, so a refused event never makes the publisher spin.
 */
import type { Logger } from "../observability/logger";
import type { Metrics } from "../observability/metrics";
import { AmqpConnection, type LinkStatus, type OutgoingMessage, type PublishOutcome } from "./amqp-connection";
import { DeadLetterFile } from "./dead-letter";
import { DEFAULT_EVENT_LIMITS, UsageEventEncoder, type EncodedEvent } from "./event-encoding";
import type { EventSpool, SpoolSegment } from "./event-spool";
import { Fifo } from "./fifo";
import { Signal } from "./signal";
import type { SinkHealth, UsageEvent, UsageSink } from "./usage-event";

export interface RabbitSinkTuning {
  /** Events held in memory before the oldest overflow to the spool. */
  memoryQueueMax: number;
  /** Events per confirmed publish batch. */
  batchSize: number;
  /** While the broker cannot take events, those older than this go to disk (crash safety). */
  spillAfterMs: number;
  /** A pending event older than this makes the sink report `degraded`. */
  backlogAfterMs: number;
  /** Pause before retrying a batch the broker did not confirm, doubling up to the max. */
  retryDelayMinMs: number;
  retryDelayMaxMs: number;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  connectTimeoutMs: number;
  confirmTimeoutMs: number;
  /** An event the broker refused this many times on its own (for a reason other than its size) is parked. */
  deadLetterAfterRefusals: number;
}

export const DEFAULT_TUNING: RabbitSinkTuning = {
  memoryQueueMax: 10_000,
  batchSize: 250,
  spillAfterMs: 1_000,
  backlogAfterMs: 5_000,
  retryDelayMinMs: 250,
  retryDelayMaxMs: 5_000,
  reconnectInitialMs: 500,
  reconnectMaxMs: 5_000,
  connectTimeoutMs: 5_000,
  confirmTimeoutMs: 30_000,
  deadLetterAfterRefusals: 5,
};

export interface RabbitSinkOptions {
  url: string;
  exchange: string;
  routingKey: string;
  spool: EventSpool;
  logger: Logger;
  metrics?: Metrics;
  tuning?: Partial<RabbitSinkTuning>;
  /** Bounds events and reports what it cut; by default the built-in caps, on `logger` and `metrics`. */
  encoder?: UsageEventEncoder;
}

interface MemoryEntry {
  event: UsageEvent;
  acceptedAt: number;
  /** Its line, once made (an entry put back after a failed spill is not encoded twice). */
  encoded?: EncodedEvent | null;
}

/** An event on its way: its JSON line, and the spool file it came from (null: from memory). */
interface Outgoing extends OutgoingMessage {
  line: string;
  segment: SpoolSegment | null;
  acceptedAt: number;
  /** In a batch the broker refused: sent on its own until it is confirmed or parked. */
  suspect?: boolean;
  /** Times the broker refused it sent on its own. */
  refusals?: number;
  /** `confirmedTotal` when it was first refused on its own: did others get through since? */
  confirmedAtFirstRefusal?: number;
}

const MAINTENANCE_INTERVAL_MS = 200;
const WARN_INTERVAL_MS = 30_000;

export class RabbitUsageSink implements UsageSink {
  private readonly link: AmqpConnection;
  private readonly spool: EventSpool;
  private readonly logger: Logger;
  private readonly metrics: Metrics | undefined;
  private readonly tuning: RabbitSinkTuning;
  private readonly exchange: string;
  private readonly routingKey: string;

  private readonly memory = new Fifo<MemoryEntry>();
  /** Not confirmed in the last batch; sent first next time. */
  private retry: Outgoing[] = [];
  /** The batch awaiting its confirms. */
  private inFlight: Outgoing[] = [];
  /** Events taken from memory and not yet confirmed or spooled (in `retry` or `inFlight`). */
  private memoryOutstanding = 0;
  /** The spool file being sent: what of it has not been sent yet. */
  private draining: { segment: SpoolSegment; unsent: Fifo<Outgoing>; loaded: number } | null = null;
  private spilling: Promise<void> | null = null;
  private spillingCount = 0;
  private spillScheduled = false;
  private spoolError: string | null = null;
  private lastSpoolErrorLogAt = 0;
  /** The broker returned the last events as unroutable, and has routed none since. */
  private unroutable = false;
  private lastUnroutableWarnAt = 0;
  private retryDelayMs = 0;
  /** Events the broker confirmed since start. */
  private confirmedTotal = 0;
  /** Whose turn it is when a suspect refused before waits: its own, or a batch of the others. */
  private suspectsTurn = true;
  private readonly encoder: UsageEventEncoder;
  private readonly deadLetters: DeadLetterFile;

  private readonly work = new Signal();
  private readonly progress = new Signal();
  private stopped = false;
  /** False once `close` has taken its final snapshot: later events go straight to disk. */
  private acceptingInMemory = true;
  private stopWaiting: () => void = () => {};
  private readonly stopRequested = new Promise<void>((resolve) => (this.stopWaiting = resolve));
  private pumpDone: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setInterval> | undefined;
  private closing: Promise<void> | null = null;

  constructor(options: RabbitSinkOptions) {
    this.spool = options.spool;
    this.logger = options.logger;
    this.metrics = options.metrics;
    this.tuning = { ...DEFAULT_TUNING, ...options.tuning };
    this.exchange = options.exchange;
    this.routingKey = options.routingKey;
    this.encoder = options.encoder ?? new UsageEventEncoder(DEFAULT_EVENT_LIMITS, options.logger, options.metrics);
    this.deadLetters = new DeadLetterFile(options.spool.dir);
    this.link = new AmqpConnection({
      url: options.url,
      exchange: options.exchange,
      routingKey: options.routingKey,
      logger: options.logger,
      onChange: () => this.work.notify(),
      reconnectInitialMs: this.tuning.reconnectInitialMs,
      reconnectMaxMs: this.tuning.reconnectMaxMs,
      connectTimeoutMs: this.tuning.connectTimeoutMs,
      confirmTimeoutMs: this.tuning.confirmTimeoutMs,
    });
  }

  /** Starts connecting and publishing in the background; does not wait for the broker. */
  start(): void {
    if (this.spool.pending > 0) {
      this.logger.info("usage events from an earlier run wait in the spool; they are sent first", {
        events: this.spool.pending,
        dir: this.spool.dir,
      });
    }
    this.link.start();
    this.pumpDone = this.pump();
    // Every result shows on /metrics from the start, at 0, so rates and alerts work at once.
    for (const result of ["published", "failed", "spooled", "dead_lettered", "lost"] as const) this.metrics?.usageEvents.inc({ result }, 0);
    this.timer = setInterval(() => this.maintain(), MAINTENANCE_INTERVAL_MS);
    this.timer.unref?.();
    this.updateGauge();
  }

  publish(event: UsageEvent): void {
    try {
      if (!this.acceptingInMemory) {
        this.spoolLate(event);
        return;
      }
      this.memory.push({ event, acceptedAt: Date.now() });
      this.metrics?.usageEventsPending.inc();
      if (this.memory.length > this.tuning.memoryQueueMax) this.scheduleSpill();
      this.work.notify();
    } catch (e) {
      this.logger.error("usage event could not be queued", { error: e as Error, eventId: event?.eventId });
    }
  }

  /** Events accepted and not yet confirmed by the broker: memory, in flight, spool. */
  get pending(): number {
    return this.memory.length + this.spillingCount + this.memoryOutstanding + this.spool.pending;
  }

  health(): SinkHealth {
    const link = this.link.status();
    const pending = this.pending;
    const problems: string[] = [];
    if (link.state !== "connected") problems.push(link.detail);
    if (this.spoolError) problems.push(`cannot write the spool (${this.spool.dir}): ${this.spoolError}`);
    if (this.unroutable) {
      problems.push(`the broker cannot route events: no queue bound to exchange ${this.exchange} for ${this.routingKey}`);
    }
    if (problems.length === 0 && this.waiting()) {
      problems.push(`${pending} usage events waiting (${this.spool.pending} in the spool)`);
    }
    return {
      sink: "rabbitmq",
      state: problems.length > 0 ? "degraded" : "ok",
      pending,
      detail: problems.length > 0 ? problems.join("; ") : link.detail,
    };
  }

  /** The broker link's state, for tests and diagnostics. */
  linkStatus(): LinkStatus {
    return this.link.status();
  }

  close(deadlineMs: number): Promise<void> {
    this.closing ??= this.shutdown(deadlineMs);
    return this.closing;
  }

  // --- delivery -------------------------------------------------------------------------------

  private async pump(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.pumpOnce();
      } catch (e) {
        // Not expected: each step handles its own failures. Keep going; nothing is dropped.
        this.logger.error("usage event publisher failed a step; retrying", { error: e as Error });
        await Promise.race([Bun.sleep(this.tuning.retryDelayMaxMs), this.stopRequested]);
      }
    }
  }

  private async pumpOnce(): Promise<void> {
    if (!this.link.ready || !this.hasWork()) {
      await this.work.wait();
      return;
    }
    const batch = await this.nextBatch();
    if (batch.length === 0) {
      // Nothing sendable yet (e.g. the spool could not be read): don't spin.
      await Promise.race([Bun.sleep(this.tuning.retryDelayMinMs), this.stopRequested]);
      return;
    }
    this.inFlight = batch;
    const outcomes = await this.link.publish(batch);
    this.inFlight = [];
    const failures = await this.settle(batch, outcomes);
    if (failures === 0) {
      this.retryDelayMs = 0;
    } else if (this.link.ready || outcomes.includes("refused")) {
      // Connected but refused (nack, unroutable), or the channel closed over a publish (the
      // reconnect is immediate): give the broker or the operator time, never spin.
      this.retryDelayMs = Math.min(this.tuning.retryDelayMaxMs, Math.max(this.tuning.retryDelayMinMs, this.retryDelayMs * 2));
      await Promise.race([Bun.sleep(this.retryDelayMs), this.stopRequested]);
    }
  }

  private hasWork(): boolean {
    return this.retry.length > 0 || this.memory.length > 0 || this.spool.pending > 0 || this.spillingCount > 0;
  }

  private async nextBatch(): Promise<Outgoing[]> {
    const size = this.tuning.batchSize;
    // An event of a refused batch goes alone, so a refusal names it. One refused on its own before
    // takes turns with batches of the others: they are not held up, and their getting through
    // tells a refusal of the event from a refusal of everything.
    const front = this.retry[0];
    if (front?.suspect) {
      const others = this.memory.length > 0 || (this.draining?.unsent.length ?? 0) > 0 || this.retry.some((r) => !r.suspect);
      if (!front.refusals || this.suspectsTurn || !others) {
        this.suspectsTurn = false;
        return this.retry.splice(0, 1);
      }
      this.suspectsTurn = true;
    }
    const batch: Outgoing[] = [];
    if (this.retry.length > 0) {
      this.retry = this.retry.filter((r) => (r.suspect || batch.length >= size ? true : (batch.push(r), false)));
    }
    if (batch.length >= size) return batch;
    // Events being written out are older than anything left in memory: let them land first.
    if (this.spilling) await this.spilling;
    if (this.draining || this.spool.pending > 0) {
      // Only a batch in flight could hold the rest of the file, and none is in flight here.
      if (batch.length === 0) await this.finishSpoolFileIfDelivered();
      if (!this.draining) await this.loadOldestSpoolFile();
      const draining = this.draining;
      if (draining) batch.push(...draining.unsent.take(size - batch.length));
      // The memory queue waits behind the spool.
      return batch;
    }
    for (const entry of this.memory.take(size - batch.length)) {
      const outgoing = this.fromMemory(entry);
      if (outgoing) batch.push(outgoing);
    }
    return batch;
  }

  private async loadOldestSpoolFile(): Promise<void> {
    try {
      const segment = await this.spool.oldest();
      if (!segment) return;
      const records = await this.spool.read(segment);
      if (records.length === 0) {
        await this.spool.remove(segment);
        return;
      }
      const unsent = new Fifo<Outgoing>();
      for (const r of records) {
        unsent.push({ id: r.eventId, body: Buffer.from(r.line), timestampMs: r.timestampMs, line: r.line, segment, acceptedAt: 0 });
      }
      this.draining = { segment, unsent, loaded: records.length };
      this.spoolError = null;
    } catch (e) {
      this.noteSpoolError("cannot read the usage event spool; will retry", e);
    }
  }

  /** The entry's bounded line; null when not even a fallback could be made (counted and logged as lost). */
  private encode(entry: MemoryEntry): EncodedEvent | null {
    if (entry.encoded === undefined) entry.encoded = this.encoder.encode(entry.event);
    return entry.encoded;
  }

  private fromMemory(entry: MemoryEntry): Outgoing | null {
    const encoded = this.encode(entry);
    if (!encoded) {
      this.updateGauge();
      return null;
    }
    this.memoryOutstanding++;
    const timestampMs = Date.parse(entry.event.timestamp);
    return {
      id: entry.event.eventId,
      body: encoded.body,
      timestampMs: Number.isFinite(timestampMs) ? timestampMs : entry.acceptedAt,
      line: encoded.line,
      segment: null,
      acceptedAt: entry.acceptedAt,
    };
  }

  /** Accounts for a batch's outcomes; returns how many were not confirmed (queued for retry). */
  private async settle(batch: Outgoing[], outcomes: PublishOutcome[]): Promise<number> {
    let confirmed = 0;
    let unroutable = 0;
    const failed: Outgoing[] = [];
    const refused: Outgoing[] = [];
    const unsendable: Outgoing[] = [];
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome === "confirmed") {
        confirmed++;
        this.delivered(item);
        // Refused before, taken now: the refusals were the broker's, not this event's. The others
        // held as suspects can go in batches again.
        if (item.refusals) for (const r of this.retry) r.suspect = false;
        return;
      }
      if (outcome === "unroutable") unroutable++;
      if (outcome === "refused") refused.push(item);
      else if (outcome === "unsendable") unsendable.push(item);
      else failed.push(item);
    });
    const kept = refused.length > 0 ? await this.triage(refused, batch.length === 1) : [];
    for (const item of unsendable) {
      const reason = this.link.unsendable.get(item.id) ?? "the AMQP client cannot encode the message";
      this.link.unsendable.delete(item.id);
      kept.push(...(await this.park([item], reason)));
    }
    this.retry.push(...kept, ...failed);
    failed.push(...refused, ...unsendable);
    this.confirmedTotal += confirmed;
    if (confirmed > 0) this.metrics?.usageEvents.inc({ result: "published" }, confirmed);
    if (failed.length > 0) this.metrics?.usageEvents.inc({ result: "failed" }, failed.length);
    if (unroutable > 0) {
      const now = Date.now();
      if (now - this.lastUnroutableWarnAt >= WARN_INTERVAL_MS) {
        this.lastUnroutableWarnAt = now;
        this.logger.warn("RabbitMQ could not route usage events: no queue is bound for them; they are kept and retried", {
          exchange: this.exchange,
          routingKey: this.routingKey,
          events: unroutable,
        });
      }
      this.unroutable = true;
    } else if (confirmed > 0) {
      this.unroutable = false;
    }
    await this.finishSpoolFileIfDelivered();
    this.updateGauge();
    this.progress.notify();
    return failed.length;
  }

  /** An event the publisher is done with (confirmed or parked): out of the spool's or memory's count. */
  private delivered(item: Outgoing): void {
    if (item.segment) this.spool.settle(item.segment, 1);
    else this.memoryOutstanding--;
  }

  /**
   * Events of a batch over which the broker closed the channel: those it refused for their size,
   * and one refused on its own too often, are parked; the rest are returned to be sent again, each
   * on its own, first.
   */
  private async triage(refused: Outgoing[], alone: boolean): Promise<Outgoing[]> {
    const reason = this.link.lastRefusal ?? "the broker closed the channel";
    const size = /larger than configured max size (\d+)/i.exec(reason);
    const maxBytes = size ? Number(size[1]) : null;
    const park: Outgoing[] = [];
    const kept: Outgoing[] = [];
    for (const item of refused) {
      if (maxBytes !== null && item.body.length > maxBytes) {
        park.push(item);
        continue;
      }
      if (alone && maxBytes === null) {
        item.refusals = (item.refusals ?? 0) + 1;
        item.confirmedAtFirstRefusal ??= this.confirmedTotal;
      }
      // Parked only while others get through: a broker refusing everything (e.g. no write
      // permission) is not a reason to park every event; they wait and are retried, backing off.
      const othersGotThrough = this.confirmedTotal > (item.confirmedAtFirstRefusal ?? Number.POSITIVE_INFINITY);
      if ((item.refusals ?? 0) >= this.tuning.deadLetterAfterRefusals && othersGotThrough) park.push(item);
      else kept.push({ ...item, suspect: maxBytes === null });
    }
    if (park.length > 0) kept.push(...(await this.park(park, reason)));
    return kept;
  }

  /** Writes events to the dead-letter file; returns those it could not write (kept, each to go alone). */
  private async park(park: Outgoing[], reason: string): Promise<Outgoing[]> {
    try {
      const file = await this.deadLetters.park(
        park.map((p) => p.line),
        reason,
      );
      for (const item of park) {
        this.delivered(item);
        this.logger.error("usage event refused; parked in the dead-letter file", {
          eventId: item.id,
          reason,
          bytes: item.body.length,
          file,
        });
      }
      this.metrics?.usageEvents.inc({ result: "dead_lettered" }, park.length);
    } catch (e) {
      // Nothing may be lost: keep them (each on its own, so they block nothing) and try again.
      this.noteSpoolError("cannot write the usage event dead-letter file; the refused events are kept", e);
      return park.map((p) => ({ ...p, suspect: true }));
    }
    return [];
  }

  /** Deletes the file being drained once none of its events is left to send or retry. */
  private async finishSpoolFileIfDelivered(): Promise<void> {
    const draining = this.draining;
    if (!draining || draining.unsent.length > 0 || this.retry.some((r) => r.segment === draining.segment)) return;
    this.draining = null;
    this.spool.settle(draining.segment, draining.segment.count);
    try {
      await this.spool.remove(draining.segment);
    } catch (e) {
      this.noteSpoolError("cannot delete a delivered spool file; its events may be sent again", e);
    }
  }

  // --- the spool ------------------------------------------------------------------------------

  private maintain(): void {
    this.spill();
    this.updateGauge();
  }

  private scheduleSpill(): void {
    if (this.spillScheduled) return;
    this.spillScheduled = true;
    // Off the response path: serialising and writing thousands of events takes a while.
    setImmediate(() => {
      this.spillScheduled = false;
      this.spill();
    });
  }

  /** Moves events from memory to disk when the broker cannot take them or memory is full. */
  private spill(): void {
    if (this.spilling || this.stopped) return;
    const now = Date.now();
    let fromRetry: Outgoing[] = [];
    let entries: MemoryEntry[] = [];
    if (!this.link.ready && this.oldestInMemoryAt() <= now - this.tuning.spillAfterMs) {
      // The broker is away: keep nothing only in memory for long.
      fromRetry = this.retry.filter((r) => r.segment === null);
      this.retry = this.retry.filter((r) => r.segment !== null);
      entries = this.memory.take(this.memory.length);
    } else if (this.memory.length > this.tuning.memoryQueueMax) {
      entries = this.memory.take(this.memory.length - Math.floor(this.tuning.memoryQueueMax / 2));
    }
    if (fromRetry.length === 0 && entries.length === 0) return;

    this.memoryOutstanding -= fromRetry.length;
    const lines = fromRetry.map((r) => r.line);
    const written: MemoryEntry[] = [];
    for (const entry of entries) {
      const encoded = this.encode(entry);
      if (!encoded) continue;
      lines.push(encoded.line);
      written.push(entry);
    }
    this.spillingCount = lines.length;
    this.spilling = this.spool
      .append(lines)
      .then(
        () => {
          this.metrics?.usageEvents.inc({ result: "spooled" }, lines.length);
          if (this.spoolError) this.logger.info("usage event spool writable again", { dir: this.spool.dir });
          this.spoolError = null;
        },
        (e) => {
          // Nothing may be lost: put the events back where they were and try again later.
          this.memory.unshiftAll(written);
          this.retry.unshift(...fromRetry);
          this.memoryOutstanding += fromRetry.length;
          this.noteSpoolError("cannot write usage events to the spool; they stay in memory", e);
        },
      )
      .finally(() => {
        this.spillingCount = 0;
        this.spilling = null;
        this.updateGauge();
        this.work.notify();
      });
  }

  private oldestInMemoryAt(): number {
    let oldest = this.memory.peek()?.acceptedAt ?? Number.POSITIVE_INFINITY;
    for (const r of this.retry) if (r.segment === null && r.acceptedAt < oldest) oldest = r.acceptedAt;
    return oldest;
  }

  /** True while events wait longer than a publish round trip: a backlog worth reporting. */
  private waiting(): boolean {
    if (this.spool.pending > 0 || this.spillingCount > 0) return true;
    let oldest = this.oldestInMemoryAt();
    const first = this.inFlight[0];
    if (first && first.segment === null && first.acceptedAt < oldest) oldest = first.acceptedAt;
    return oldest <= Date.now() - this.tuning.backlogAfterMs;
  }

  /** After close: straight to a spool file of its own, synchronously (nothing else will run). */
  private spoolLate(event: UsageEvent): void {
    const encoded = this.encoder.encode(event);
    if (!encoded) return;
    try {
      this.spool.appendSync([encoded.line]);
      this.metrics?.usageEvents.inc({ result: "spooled" });
      this.logger.warn("usage event arrived after the sink closed; spooled", { eventId: event.eventId });
    } catch (e) {
      this.logLost([encoded.line], e);
    }
  }

  private noteSpoolError(message: string, e: unknown): void {
    this.spoolError = (e as Error)?.message ?? String(e);
    const now = Date.now();
    if (now - this.lastSpoolErrorLogAt >= WARN_INTERVAL_MS) {
      this.lastSpoolErrorLogAt = now;
      this.logger.error(message, { dir: this.spool.dir, error: this.spoolError });
    }
  }

  /** The last resort when even the disk fails at shutdown: the events go to the log, whole. */
  private logLost(lines: string[], e: unknown): void {
    this.logger.error("usage events could not be delivered nor spooled; they follow in full in this log", {
      events: lines.length,
      error: (e as Error)?.message ?? String(e),
    });
    for (const line of lines) this.logger.error("undelivered usage event", { usageEvent: JSON.parse(line) });
  }

  private updateGauge(): void {
    this.metrics?.usageEventsPending.set(this.pending);
  }

  // --- shutdown -------------------------------------------------------------------------------

  private async shutdown(deadlineMs: number): Promise<void> {
    const startedAt = Date.now();
    // Keep time to write the spool at the end.
    const flushUntil = startedAt + deadlineMs - Math.min(1_000, deadlineMs / 4);
    while (this.pending > 0 && this.link.ready && Date.now() < flushUntil) {
      await this.progress.wait(Math.min(50, flushUntil - Date.now()));
    }

    this.stopped = true;
    this.stopWaiting();
    clearInterval(this.timer);
    // Closing the link fails the batch in flight; the pump puts it back into `retry` and stops.
    await this.link.close();
    this.work.notify();
    await this.pumpDone;
    await this.spilling;

    this.acceptingInMemory = false;
    const fromMemory = [
      ...this.retry.filter((r) => r.segment === null).map((r) => r.line),
      ...this.memory.take(this.memory.length).flatMap((entry) => {
        const encoded = this.encode(entry);
        return encoded ? [encoded.line] : [];
      }),
    ];
    this.memoryOutstanding = 0;
    const draining = this.draining;
    this.draining = null;
    try {
      if (draining && draining.segment.count < draining.loaded) {
        // Part of the file was delivered: keep only the rest, so the next start sends less twice.
        const rest = [
          ...this.retry.filter((r) => r.segment === draining.segment).map((r) => r.line),
          ...draining.unsent.take(draining.unsent.length).map((r) => r.line),
        ];
        await this.spool.rewrite(draining.segment, rest);
      }
      this.retry = [];
      if (fromMemory.length > 0) {
        await this.spool.append(fromMemory);
        this.metrics?.usageEvents.inc({ result: "spooled" }, fromMemory.length);
      }
      await this.spool.close();
    } catch (e) {
      this.logLost(fromMemory, e);
    }
    this.updateGauge();
    this.logger.info("usage event sink closed", {
      waitingInSpool: this.spool.pending,
      spooledAtClose: fromMemory.length,
      tookMs: Date.now() - startedAt,
    });
  }
}
