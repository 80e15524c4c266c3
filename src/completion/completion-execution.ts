/**
 * One completion from routed request to usage event: tries the model's targets as the routing
 * layer directs (order, circuits, retries, timeouts), runs the answering adapter's events through
 * the normalizer, and accounts for the outcome exactly once.
 *
 * Streams are pull-based: the HTTP layer asks for more only when the client can take it, and the
 * upstream is read only then. Nothing is sent to the client before the first chunk is ready, so
 * a failure before it may still be retried or routed to another target; after it, a failure is
 * an `error` line.
 */
import type { ModelCatalog, Target } from "../catalog/model-catalog";
import { GatewayError, toGatewayError } from "../core/errors";
import type { AdapterEvent, AdapterYield, ChunkEvent } from "../core/events";
import type { CompletionRequest } from "../core/request";
import { ResponseAggregator, type CompletionResponse } from "../core/response-aggregator";
import { StreamNormalizer, type NormalizerResult } from "../core/stream-normalizer";
import { estimateInputTokens } from "../tokens/token-estimate";
import type { Logger } from "../observability/logger";
import type { CompletionMetrics } from "../observability/completion-metrics";
import type { Metrics } from "../observability/metrics";
import { AttemptTimeouts, requestBudgetMs, timeoutsFor } from "../routing/attempt-timeouts";
import { afterResponse } from "./after-response";
import { DEFAULT_MAX_RETRIES, type RetryDecision } from "../routing/retry-policy";
import { routeFailure, type AttemptFailure } from "../routing/route-failure";
import type { Routing } from "../routing/routing";
import { buildUsageEvent } from "../usage/build-usage-event";
import { lostEventLog } from "../usage/event-encoding";
import type { FailedAttempt, UsageAuth, UsageSink } from "../usage/usage-event";
import { failureDetail } from "../providers/upstream-error";
import { redactSecrets, secretsOf } from "../providers/redact-secrets";
import { costOfUsage, type Cost } from "../cost/cost-of-usage";
import type { Admission, RateLimiter } from "../limits/rate-limiter";

export interface CompletionDeps {
  catalog(): ModelCatalog;
  completionMetrics: CompletionMetrics;
  routing: Routing;
  sink: UsageSink;
  metrics: Metrics;
  logger: Logger;
  includeMessages: boolean;
  /** Rate limits and budgets; null when none are configured (nothing is checked). */
  limits?: RateLimiter | null;
}

export interface CompletionInput {
  request: CompletionRequest;
  requestId: string;
  /** `performance.now()` when the request arrived. */
  receivedAt: number;
  clientSignal?: AbortSignal;
  auth: UsageAuth | null;
  logger: Logger;
  /** The API the request came through; "completions" when unset. */
  api?: CompletionApi;
  /** The rate limits' hold on this request, corrected to its real usage when it is accounted. */
  admission?: Admission | null;
}

/** Our own grammar, or the front door a request came through. */
export type CompletionApi = "completions" | "openai_chat" | "anthropic_messages";

type Outcome = "success" | "error" | "cancelled";

/** Thrown (and never sent) when the client went away: there is nobody to answer. */
export class ClientCancelled extends Error {
  constructor() {
    super("client cancelled the request");
    this.name = "ClientCancelled";
  }
}

const TURN_ENDED = Symbol("turn ended");

const isBatch = Array.isArray as (value: AdapterYield) => value is readonly AdapterEvent[];

/** Resolves once the event loop has gone round (I/O polled, timers run). */
function endOfTurn(): Promise<typeof TURN_ENDED> {
  return new Promise((resolve) => setImmediate(resolve, TURN_ENDED));
}

export class CompletionExecution {
  /** Chunks ready for the client; the HTTP layer drains it. */
  readonly queue: ChunkEvent[] = [];
  private normalizer!: StreamNormalizer;
  private iterator: AsyncIterator<AdapterYield> | null = null;
  private target: Target | null = null;
  private timeouts: AttemptTimeouts | null = null;
  /** The wait between attempts, while there is one: the client going away ends it. */
  private backoff: AbortController | null = null;
  private cancelled = false;
  private finalized = false;
  private readonly attempts: FailedAttempt[] = [];
  private firstChunkAt: number | null = null;
  /** Time spent awaiting the upstream, subtracted from the total to get our own overhead. */
  private upstreamWaitMs = 0;
  private readonly onClientAbort = () => this.cancel();
  private aggregator: ResponseAggregator | null = null;
  /** A read of the upstream begun by `advance` that had not finished when its turn ended. */
  private pendingStep: Promise<boolean> | null = null;
  /** Set when the shutdown grace ran out before this completion ended. */
  private stopping: GatewayError | null = null;
  /** What was produced when shutdown ended the attempt in flight. */
  private stoppedResult: NormalizerResult | null = null;
  /** Streaming: the first chunk is queued, the answer is under way. */
  private opened = false;
  /** Set once `account` handed the usage event to the sink. */
  private eventHandedOver = false;

  constructor(
    private readonly deps: CompletionDeps,
    private readonly input: CompletionInput,
  ) {
    input.clientSignal?.addEventListener("abort", this.onClientAbort, { once: true });
  }

  get isFinished(): boolean {
    return this.finalized;
  }

  /**
   * Streaming: resolves when the first chunk is queued. JSON: resolves with the whole answer.
   * Throws a GatewayError (accounted already) when no target could answer, ClientCancelled when
   * the client went away first.
   */
  async open(): Promise<void> {
    const { request, receivedAt } = this.input;
    const route = this.deps.catalog().resolve(request.model);
    const { selector, breakers, retry, sleep } = this.deps.routing;
    const budgetMs = requestBudgetMs(route);
    const deadline = receivedAt + budgetMs;
    const failures: AttemptFailure[] = [];
    const skipped: Target[] = [];

    targets: for (const target of selector.order(route)) {
      const maxRetries = target.config.maxRetries ?? DEFAULT_MAX_RETRIES;
      for (let retries = 0; ; retries++) {
        if (this.cancelled || this.stopping || performance.now() >= deadline) break targets;
        const pass = breakers.tryPass(target);
        if (!pass) {
          if (retries === 0) skipped.push(target);
          this.input.logger.debug("upstream target skipped: circuit open", {
            providerId: target.providerId,
            deploymentName: target.deploymentName,
          });
          continue targets;
        }
        const startedAt = performance.now();
        let error: GatewayError;
        try {
          await this.attempt(target, { totalMs: budgetMs, remainingMs: deadline - performance.now() });
          pass.succeeded();
          this.logAttemptSuccess(target, retries + 1, startedAt);
          this.opened = true;
          return;
        } catch (e) {
          error = this.endAttempt(e);
        }
        if (this.cancelled || this.stopping) {
          pass.abandon();
          break targets;
        }
        pass.failed(error);
        failures.push({ target, error });
        const decision = retry.decide(error, retries, maxRetries, deadline - performance.now());
        this.recordFailedAttempt(target, error, retries + 1, startedAt, decision);
        if (!error.retryable) this.fail(error);
        if (!decision.retry) continue targets;
        this.backoff = new AbortController();
        try {
          await sleep(decision.delayMs, this.backoff.signal);
        } catch {
          break targets; // the client went away while we waited
        } finally {
          this.backoff = null;
        }
      }
    }
    if (this.cancelled) {
      this.finalize("cancelled", null, null);
      throw new ClientCancelled();
    }
    if (this.stopping) {
      this.finalize("error", this.stopping, this.stoppedResult);
      throw this.stopping;
    }
    this.fail(routeFailure(request.model, failures, skipped));
  }

  private async attempt(target: Target, budget: { totalMs: number; remainingMs: number }): Promise<void> {
    const { request } = this.input;
    this.target = target;
    this.queue.length = 0;
    const timeouts = new AttemptTimeouts(timeoutsFor(target, request.stream), target.providerType, budget);
    this.timeouts = timeouts;
    if (request.stream) {
      this.aggregator = null;
      this.normalizer = new StreamNormalizer(this.queue.push.bind(this.queue), () => estimateInputTokens(request));
    } else {
      this.aggregator = new ResponseAggregator();
      this.normalizer = new StreamNormalizer(this.aggregator.accept, () => estimateInputTokens(request));
    }
    this.iterator = target.adapter
      .complete(request, {
        deploymentName: target.deploymentName,
        signal: timeouts.signal,
        requestId: this.input.requestId,
        logger: this.input.logger,
        onResponseHeaders: timeouts.responseHeaders,
      })
      [Symbol.asyncIterator]();
    if (request.stream) {
      while (this.queue.length === 0) {
        if (!(await this.step())) break;
      }
    } else {
      while (await this.step()) {}
    }
  }

  /** Reads one adapter event (or batch) into the normalizer; false at the end (usage and finish queued). */
  private async step(): Promise<boolean> {
    const timeouts = this.timeouts!;
    const t0 = performance.now();
    timeouts.awaitingEvent();
    const next = await timeouts.bounded(this.iterator!.next());
    timeouts.eventArrived();
    this.upstreamWaitMs += performance.now() - t0;
    if (this.finalized) return false; // ended by shutdown while this read was under way
    if (next.done) {
      const result = this.normalizer.end();
      this.succeed(result);
      return false;
    }
    const value = next.value;
    if (isBatch(value)) for (let i = 0; i < value.length; i++) this.normalizer.push(value[i]!);
    else this.normalizer.push(value);
    if (this.firstChunkAt === null && this.normalizer.chunks > 0) this.firstChunkAt = performance.now();
    return true;
  }

  /**
   * Streaming: reads the upstream until at least one more chunk is queued or the stream is over.
   * A failure now is in-band: `error`, `usage`, `finish` are queued and the stream ends.
   */
  async advance(): Promise<void> {
    if (this.finalized) return;
    try {
      while (this.queue.length === 0) {
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
      if (this.cancelled || this.finalized) return;
      if (this.stopping) {
        // Shutdown ended the attempt just as the stream opened: not the upstream's failure.
        this.finalize("error", this.stopping, this.normalizer.fail(this.stopping.code, this.stopping.message));
        this.releaseUpstream();
        return;
      }
      const error = this.classify(e);
      const target = this.target!;
      this.deps.routing.breakers.noteLateFailure(target, error);
      this.recordUpstreamError(error);
      this.input.logger.warn("upstream stream failed after the first chunk", {
        providerId: target.providerId,
        deploymentName: target.deploymentName,
        code: error.code,
        message: error.message,
        detail: this.failureDetail(error),
      });
      const result = this.normalizer.fail(error.code, error.message);
      this.finalize("error", error, result);
      this.releaseUpstream();
    }
  }

  /** JSON: the folded answer, once `open()` resolved. */
  response(id: string): CompletionResponse {
    return this.aggregator!.response(id, this.input.request.model);
  }

  /**
   * The shutdown grace is over. A stream under way ends in-band: `error` (`unavailable`), `usage`,
   * `finish` are queued for the client and it is accounted now. Before that (a JSON answer, a
   * stream before its first chunk) the attempt in flight is ended and `open` throws `unavailable`,
   * accounted with what was produced.
   */
  shutDown(): void {
    if (this.finalized || this.cancelled || this.stopping) return;
    const error = new GatewayError("unavailable", "the service is shutting down");
    this.stopping = error;
    if (this.opened) {
      const result = this.normalizer.fail(error.code, error.message);
      this.finalize("error", error, result);
      this.releaseUpstream();
      return;
    }
    if (this.iterator && this.target) this.stoppedResult = this.normalizer.cancel();
    this.timeouts?.abort(error);
    this.backoff?.abort(error);
  }

  /** The client went away: stop the upstream (or the wait between attempts) at once and account for what was produced. */
  cancel(): void {
    if (this.finalized || this.cancelled) return;
    this.cancelled = true;
    // Ends the attempt in flight (its upstream request) or the wait between attempts; `open`
    // checks `cancelled` before starting another.
    this.timeouts?.abort(new ClientCancelled());
    this.backoff?.abort(new ClientCancelled());
    if (this.iterator && this.target) this.finalize("cancelled", null, this.normalizer.cancel());
    // Release the generator (and its socket) once any pending read has settled.
    this.iterator?.return?.().catch(() => {});
  }

  /** The attempt's failure as the client, the logs and the usage event will see it: without the target's secrets. */
  private classify(e: unknown): GatewayError {
    const error = this.timeouts?.timeoutError() ?? toGatewayError(e);
    return this.target ? error.withMessage(redactSecrets(error.message, secretsOf(this.target.config))) : error;
  }

  /** The technical cause (an error code, our own exception) for the log line only, without secrets. */
  private failureDetail(error: GatewayError): string | undefined {
    const detail = failureDetail(error);
    return detail && this.target ? redactSecrets(detail, secretsOf(this.target.config)) : detail;
  }

  /** A failed attempt: its error, with its timers stopped and its upstream request ended. */
  private endAttempt(e: unknown): GatewayError {
    const error = this.classify(e);
    this.releaseUpstream();
    this.iterator = null;
    this.timeouts = null;
    return error;
  }

  private releaseUpstream(): void {
    const timeouts = this.timeouts;
    timeouts?.dispose();
    if (timeouts && !timeouts.signal.aborted) timeouts.abort(new Error("attempt abandoned"));
    this.iterator?.return?.().catch(() => {});
  }

  private fail(error: GatewayError): never {
    this.finalize("error", error, null);
    throw error;
  }

  private logAttemptSuccess(target: Target, attempt: number, startedAt: number): void {
    // A first attempt that answers is reported by "completion finished"; a recovery is worth a line.
    const level = this.attempts.length > 0 ? "info" : "debug";
    this.input.logger[level]("upstream attempt answered", {
      providerId: target.providerId,
      deploymentName: target.deploymentName,
      attempt,
      failedBefore: this.attempts.length,
      durationMs: Math.round(performance.now() - startedAt),
    });
  }

  private recordFailedAttempt(target: Target, error: GatewayError, attempt: number, startedAt: number, decision: RetryDecision): void {
    this.attempts.push({ providerId: target.providerId, deploymentName: target.deploymentName, error: `${error.code}: ${error.message}` });
    this.recordUpstreamError(error);
    this.input.logger.warn("upstream attempt failed", {
      providerId: target.providerId,
      deploymentName: target.deploymentName,
      attempt,
      durationMs: Math.round(performance.now() - startedAt),
      code: error.code,
      upstreamStatus: error.upstreamStatus,
      message: error.message,
      detail: this.failureDetail(error),
      retryable: error.retryable,
      next: !error.retryable ? "fail" : decision.retry ? `retry in ${decision.delayMs} ms` : `move on (${decision.reason})`,
    });
  }

  private recordUpstreamError(error: GatewayError): void {
    this.deps.metrics.upstreamErrors.inc({ provider: this.target?.providerType ?? "none", code: error.code });
  }

  private succeed(result: NormalizerResult): void {
    this.finalize("success", null, result);
  }

  private finalize(outcome: Outcome, error: GatewayError | null, result: NormalizerResult | null): void {
    if (this.finalized) return;
    this.finalized = true;
    this.timeouts?.dispose();
    this.input.clientSignal?.removeEventListener("abort", this.onClientAbort);
    const durationMs = performance.now() - this.input.receivedAt;
    const endedAt = Date.now();
    // Off the response path: the answer (or its last chunk) is written first.
    afterResponse(
      () => this.account(outcome, error, result, durationMs, endedAt),
      (e) => this.accountingFailed(e, outcome, result),
    );
  }

  /** Accounting threw: if that was before the usage event reached the sink, the loss is counted and logged. */
  private accountingFailed(e: unknown, outcome: Outcome, result: NormalizerResult | null): void {
    const { request, requestId } = this.input;
    if (this.eventHandedOver) {
      this.input.logger.error("completion accounting failed after its usage event was published", { requestId, error: e as Error });
      return;
    }
    const usage = result?.usage ?? { inputTokens: 0, outputTokens: 0 };
    this.deps.metrics.usageEvents.inc({ result: "lost" });
    this.input.logger.error("usage event lost: completion accounting failed", {
      error: (e as Error)?.message ?? String(e),
      requestId,
      model: request.model,
      providerId: this.target?.providerId,
      status: outcome,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
    });
  }

  private recordMetrics(
    outcome: Outcome,
    error: GatewayError | null,
    result: NormalizerResult | null,
    durationMs: number,
    cost: Cost | null,
  ): void {
    const { request, receivedAt } = this.input;
    const target = this.target;
    const usage = result?.usage ?? { inputTokens: 0, outputTokens: 0 };
    this.deps.completionMetrics.record({
      model: request.model,
      provider: target?.providerType ?? "none",
      api: this.input.api ?? "completions",
      stream: request.stream,
      status: outcome === "error" ? error!.code : outcome,
      durationSeconds: durationMs / 1000,
      overheadSeconds: Math.max(0, durationMs - this.upstreamWaitMs) / 1000,
      timeToFirstTokenSeconds: request.stream && this.firstChunkAt !== null ? (this.firstChunkAt - receivedAt) / 1000 : null,
      usage: result ? usage : null,
      cost,
    });
  }

  private account(
    outcome: Outcome,
    error: GatewayError | null,
    result: NormalizerResult | null,
    durationMs: number,
    endedAt: number,
  ): void {
    const { request, requestId, receivedAt } = this.input;
    const target = this.target;
    const usage = result?.usage ?? { inputTokens: 0, outputTokens: 0 };
    const cost = costOfUsage(usage, target?.pricing);
    try {
      this.recordMetrics(outcome, error, result, durationMs, cost);
    } catch (e) {
      // The usage event matters more than a metric: go on to publish it.
      this.input.logger.error("completion metrics could not be recorded", { requestId, error: e as Error });
    }

    if (outcome === "error" && target === null) {
      // Refused before any target was tried (every circuit open): no tokens were used, so there is
      // no usage event; completion_requests_total (above) counts the request.
      this.input.logger.info("completion finished", {
        model: request.model,
        status: outcome,
        errorCode: error?.code,
        durationMs: Math.round(durationMs),
        usageEvent: false,
      });
      return;
    }
    const event = buildUsageEvent({
      eventId: crypto.randomUUID(),
      requestId,
      request,
      api: this.input.api ?? "completions",
      target,
      outcome,
      error: error ? { code: error.code, message: error.message } : null,
      result,
      cost,
      durationMs,
      timeToFirstTokenMs: request.stream && this.firstChunkAt !== null ? this.firstChunkAt - receivedAt : null,
      endedAt,
      includeMessages: this.deps.includeMessages,
      auth: this.input.auth,
      attempts: this.attempts,
    });
    try {
      this.deps.sink.publish(event);
    } catch (e) {
      // Sinks do not throw; if one ever does, the loss is counted and the billing figures logged.
      this.deps.metrics.usageEvents.inc({ result: "lost" });
      lostEventLog(this.input.logger, event, e);
    }
    this.eventHandedOver = true;
    this.input.admission?.settle({ inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, cost });
    this.input.logger.info("completion finished", {
      model: request.model,
      providerId: target?.providerId,
      status: outcome,
      finishReason: event.finishReason,
      errorCode: error?.code,
      failedAttempts: this.attempts.length,
      durationMs: event.durationMs,
      inputTokens: event.inputTokens,
      outputTokens: event.outputTokens,
    });
  }
}
