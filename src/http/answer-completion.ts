/**
 * Runs one completion for a route, `/api/v1/completions` and the front doors alike, and hands the
 * route what to answer with: the whole answer (JSON), the chunks of a stream whose first chunk is
 * ready, the error it failed with (accounted already), or that the client is gone. From its start
 * until its answer is handed over, the completion holds its connection (no idle limit while a model
 * thinks) and its place among those drained at shutdown; `CompletionHold` lets go of both, once.
 */
import { ClientCancelled, CompletionExecution, type CompletionApi, type CompletionDeps } from "../completion/completion-execution";
import type { ChunkSource } from "../completion/chunk-pump";
import { GatewayError } from "../core/errors";
import type { CompletionRequest } from "../core/request";
import type { ResponseAggregator } from "../core/response-aggregator";
import type { Logger } from "../observability/logger";
import type { UsageAuth } from "../usage/usage-event";

/** What serving completions needs from the service. */
export interface CompletionServing {
  deps: CompletionDeps;
  /** Whether completions may be served now (mapping loaded, not draining). */
  ready(): GatewayError | null;
  /** Streams open now (health, metrics). */
  streams: Set<CompletionExecution>;
  /** Every completion from its start until its answer is handed over, JSON or stream: drained at shutdown. */
  inFlight: Set<CompletionExecution>;
  /**
   * Lifts the connection's idle limit while a completion runs (a model may think for minutes
   * with nothing on the wire); the returned function puts it back once the answer is written.
   */
  holdConnection(request: Request): () => void;
}

/** Who asked: what the request context and the auth guard put on a route's context (the context itself is passed). */
export interface CompletionCaller {
  request: Request;
  requestId: string;
  receivedAt: number;
  log: Logger;
  /** Null when no auth is configured. */
  auth: UsageAuth | null;
}

export type CompletionAnswer =
  /** The whole answer; `folded.response(id, model)` gives it in our shape. */
  | { readonly kind: "json"; readonly folded: ResponseAggregator }
  /** A stream with its first chunk ready; `hold` is let go once its last chunk is taken or the client left. */
  | { readonly kind: "stream"; readonly chunks: ChunkSource; readonly hold: CompletionHold }
  /** No target could answer (or the service cannot serve now): the error to answer with. */
  | { readonly kind: "failed"; readonly error: GatewayError }
  /** The client went away first: nobody to answer (499 in the access log). */
  | { readonly kind: "gone" };

const GONE: CompletionAnswer = { kind: "gone" };

/** A completion's hold on its connection and on the drain set (and the open streams, for a stream). */
export class CompletionHold {
  private held = true;
  private streaming = false;
  private readonly letGo: () => void;

  constructor(
    private readonly serving: CompletionServing,
    private readonly execution: CompletionExecution,
    request: Request,
  ) {
    serving.inFlight.add(execution);
    this.letGo = serving.holdConnection(request);
  }

  /** The answer is a stream: counted as open until the hold is let go. */
  stream(): void {
    this.streaming = true;
    this.serving.streams.add(this.execution);
    this.serving.deps.metrics.activeStreams.inc();
  }

  /** The answer was handed over: the connection gets its idle limit back, shutdown need not wait. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    const { serving, execution } = this;
    if (this.streaming) {
      serving.streams.delete(execution);
      serving.deps.metrics.activeStreams.dec();
    }
    serving.inFlight.delete(execution);
    this.letGo();
  }
}

/**
 * The answer to `request`, once it is complete (JSON) or its first chunk is ready (stream). A
 * refusal by the rate limits is thrown, as before any completion starts.
 */
export async function answerCompletion(
  serving: CompletionServing,
  caller: CompletionCaller,
  request: CompletionRequest,
  api?: CompletionApi,
): Promise<CompletionAnswer> {
  const notReady = serving.ready();
  if (notReady) return { kind: "failed", error: notReady };
  const { deps } = serving;
  const admission = deps.limits ? await deps.limits.admit(caller.auth, request) : null;
  const execution = new CompletionExecution(deps, {
    request,
    requestId: caller.requestId,
    receivedAt: caller.receivedAt,
    clientSignal: caller.request.signal,
    auth: caller.auth,
    logger: caller.log,
    api,
    admission,
  });
  const hold = new CompletionHold(serving, execution, caller.request);
  try {
    await execution.open();
  } catch (e) {
    hold.release();
    if (e instanceof ClientCancelled) return GONE;
    if (e instanceof GatewayError) return { kind: "failed", error: e };
    throw e;
  }
  if (!request.stream) {
    hold.release();
    return { kind: "json", folded: execution.folded };
  }
  hold.stream();
  return { kind: "stream", chunks: execution.chunks, hold };
}
