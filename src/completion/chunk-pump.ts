/**
 * One attempt's upstream read into chunks: the adapter's events (or batches of them) through the
 * normalizer, into the queue the HTTP layer writes (a stream) or the aggregator (a JSON answer).
 *
 * A stream is pulled: `fill` reads the upstream only when the client can take more, and then
 * whatever else is ready in the same turn of the event loop, so that the client gets it in one
 * write instead of one write per chunk.
 */
import type { AdapterEvent, AdapterYield, ChunkEvent } from "../core/events";
import type { CompletionRequest } from "../core/request";
import { ResponseAggregator } from "../core/response-aggregator";
import { StreamNormalizer, type NormalizerResult } from "../core/stream-normalizer";
import type { AttemptTimeouts } from "../routing/attempt-timeouts";
import { estimateInputTokens } from "../tokens/token-estimate";
import type { CompletionAccounting } from "./completion-accounting";

/** A streamed answer's chunks, as the HTTP layer pulls them into the door's wire format. */
export interface ChunkSource {
  /** Chunks ready for the client; the reader empties it once they are written. */
  readonly ready: ChunkEvent[];
  /** Nothing more will be added to `ready`: the stream is over (usage and finish queued). */
  readonly ended: boolean;
  /**
   * Reads the upstream until at least one more chunk is ready or the stream is over. Never
   * rejects: a failure now is in-band (`error`, `usage`, `finish` are queued).
   */
  fill(): Promise<void>;
  /** The client went away. */
  cancel(): void;
}

/** What the pump reports to the completion it reads for. */
export interface PumpedCompletion {
  /** The upstream ended: the normalizer's result, usage and finish queued. */
  succeeded(result: NormalizerResult): void;
  /** Reading the upstream failed after the first chunk. */
  failedMidStream(error: unknown): void;
  cancel(): void;
}

const TURN_ENDED = Symbol("turn ended");

const isBatch = Array.isArray as (value: AdapterYield) => value is readonly AdapterEvent[];

/** Resolves once the event loop has gone round (I/O polled, timers run). */
function endOfTurn(): Promise<typeof TURN_ENDED> {
  return new Promise((resolve) => setImmediate(resolve, TURN_ENDED));
}

export class ChunkPump implements ChunkSource {
  readonly ready: ChunkEvent[] = [];
  normalizer!: StreamNormalizer;
  /** A JSON answer's chunks folded into one response. */
  folded: ResponseAggregator | null = null;
  iterator: AsyncIterator<AdapterYield> | null = null;
  timeouts: AttemptTimeouts | null = null;
  /** A read of the upstream begun by `fill` that had not finished when its turn ended. */
  private pendingStep: Promise<boolean> | null = null;

  constructor(
    private readonly completion: PumpedCompletion,
    private readonly accounting: CompletionAccounting,
    private readonly request: CompletionRequest,
  ) {}

  get ended(): boolean {
    return this.accounting.finished;
  }

  /** A new attempt: what an earlier one produced is dropped. The caller sets `iterator` next. */
  begin(timeouts: AttemptTimeouts): void {
    const { request } = this;
    this.ready.length = 0;
    this.timeouts = timeouts;
    if (request.stream) {
      this.folded = null;
      this.normalizer = new StreamNormalizer(this.ready.push.bind(this.ready), () => estimateInputTokens(request));
    } else {
      this.folded = new ResponseAggregator();
      this.normalizer = new StreamNormalizer(this.folded.accept, () => estimateInputTokens(request));
    }
  }

  /** Reads one adapter event (or batch) into the normalizer; false at the end (usage and finish queued). */
  async step(): Promise<boolean> {
    const timeouts = this.timeouts!;
    const accounting = this.accounting;
    const t0 = performance.now();
    timeouts.awaitingEvent();
    const next = await timeouts.bounded(this.iterator!.next());
    timeouts.eventArrived();
    accounting.upstreamWaitMs += performance.now() - t0;
    if (accounting.finished) return false; // ended by shutdown while this read was under way
    if (next.done) {
      this.completion.succeeded(this.normalizer.end());
      return false;
    }
    const value = next.value;
    if (isBatch(value)) for (let i = 0; i < value.length; i++) this.normalizer.push(value[i]!);
    else this.normalizer.push(value);
    if (accounting.firstChunkAt === null && this.normalizer.chunks > 0) accounting.firstChunkAt = performance.now();
    return true;
  }

  async fill(): Promise<void> {
    if (this.accounting.finished) return;
    try {
      while (this.ready.length === 0) {
        const pending = this.pendingStep;
        this.pendingStep = null;
        if (!(await (pending ?? this.step()))) return;
      }
      // Then whatever else is ready in this turn of the event loop (one upstream read often holds
      // many chunks): the client gets them in one write instead of one write each. A step still
      // waiting for the upstream when the turn ends is kept for the next call.
      const turnEnd = endOfTurn();
      for (;;) {
        const step = this.step();
        const stepped = await Promise.race([step, turnEnd]);
        if (stepped === TURN_ENDED) {
          step.catch(() => {}); // settled by the next call, or abandoned with the stream
          this.pendingStep = step;
          return;
        }
        if (!stepped) return;
      }
    } catch (e) {
      this.completion.failedMidStream(e);
    }
  }

  cancel(): void {
    this.completion.cancel();
  }
}
