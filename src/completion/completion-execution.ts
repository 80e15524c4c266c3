/**
 * One completion from routed request to usage event. This file is the attempt loop: it tries the
 * model's targets as the routing layer directs (order, circuits, retries, timeouts) and ends the
 * completion when the client goes away or shutdown's grace runs out. The upstream's events become
 * chunks in `chunk-pump.ts`; the outcome is accounted for exactly once by `completion-accounting.ts`.
 *
 * Nothing is sent to the client before the first chunk is ready, so a failure before it may still
 * be retried or routed to another target; after it, a failure is an `error` chunk.
 */
import type { ModelCatalog, Target } from "../catalog/model-catalog";
import { GatewayError, toGatewayError } from "../core/errors";
import type { CompletionRequest } from "../core/request";
import type { ResponseAggregator } from "../core/response-aggregator";
import type { NormalizerResult } from "../core/stream-normalizer";
import type { Logger } from "../observability/logger";
import type { CompletionMetrics } from "../observability/completion-metrics";
import type { Metrics } from "../observability/metrics";
import { AttemptTimeouts, requestBudgetMs, timeoutsFor } from "../routing/attempt-timeouts";
import { DEFAULT_MAX_RETRIES, type RetryDecision } from "../routing/retry-policy";
import { routeFailure, type AttemptFailure } from "../routing/route-failure";
import type { Routing } from "../routing/routing";
import type { UsageAuth, UsageSink } from "../usage/usage-event";
import { failureDetail } from "../providers/upstream-error";
import { redactSecrets, secretsOf } from "../providers/redact-secrets";
import type { Admission, RateLimiter } from "../limits/rate-limiter";
import { CompletionAccounting, type Outcome } from "./completion-accounting";
import { ChunkPump, type ChunkSource, type PumpedCompletion } from "./chunk-pump";

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

/** Thrown (and never sent) when the client went away: there is nobody to answer. */
export class ClientCancelled extends Error {
  constructor() {
    super("client cancelled the request");
    this.name = "ClientCancelled";
  }
}

export class CompletionExecution implements PumpedCompletion {
  private readonly accounting: CompletionAccounting;
  private readonly pump: ChunkPump;
  /** The wait between attempts, while there is one: the client going away ends it. */
  private backoff: AbortController | null = null;
  private cancelled = false;
  private readonly onClientAbort = () => this.cancel();
  /** Set when the shutdown grace ran out before this completion ended. */
  private stopping: GatewayError | null = null;
  /** What was produced when shutdown ended the attempt in flight. */
  private stoppedResult: NormalizerResult | null = null;
  /** Streaming: the first chunk is queued, the answer is under way. */
  private opened = false;

  constructor(
    private readonly deps: CompletionDeps,
    private readonly input: CompletionInput,
  ) {
    this.accounting = new CompletionAccounting(deps, input);
    this.pump = new ChunkPump(this, this.accounting, input.request);
    input.clientSignal?.addEventListener("abort", this.onClientAbort, { once: true });
  }

  /** Streaming, once `open()` resolved: the chunks, the first one ready. */
  get chunks(): ChunkSource {
    return this.pump;
  }

  /** JSON, once `open()` resolved: the whole answer, folded from its chunks. */
  get folded(): ResponseAggregator {
    return this.pump.folded!;
  }

  /**
   * Streaming: resolves when the first chunk is ready. JSON: resolves with the whole answer folded.
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
    const pump = this.pump;
    this.accounting.target = target;
    const timeouts = new AttemptTimeouts(timeoutsFor(target, request.stream), target.providerType, budget);
    pump.begin(timeouts);
    pump.iterator = target.adapter
      .complete(request, {
        deploymentName: target.deploymentName,
        signal: timeouts.signal,
        requestId: this.input.requestId,
        logger: this.input.logger,
        onResponseHeaders: timeouts.responseHeaders,
      })
      [Symbol.asyncIterator]();
    if (request.stream) {
      while (pump.ready.length === 0) {
        if (!(await pump.step())) break;
      }
    } else {
      while (await pump.step()) {}
    }
  }

  succeeded(result: NormalizerResult): void {
    this.finalize("success", null, result);
  }

  /** The stream failed after its first chunk: in-band `error`, `usage`, `finish`, and the stream ends. */
  failedMidStream(e: unknown): void {
    if (this.cancelled || this.accounting.finished) return;
    const pump = this.pump;
    if (this.stopping) {
      // Shutdown ended the attempt just as the stream opened: not the upstream's failure.
      this.finalize("error", this.stopping, pump.normalizer.fail(this.stopping.code, this.stopping.message));
      this.releaseUpstream();
      return;
    }
    const error = this.classify(e);
    const target = this.accounting.target!;
    this.deps.routing.breakers.noteLateFailure(target, error);
    this.accounting.upstreamFailed(error);
    this.input.logger.warn("upstream stream failed after the first chunk", {
      providerId: target.providerId,
      deploymentName: target.deploymentName,
      code: error.code,
      message: error.message,
      detail: this.failureDetail(error),
    });
    const result = pump.normalizer.fail(error.code, error.message);
    this.finalize("error", error, result);
    this.releaseUpstream();
  }

  /**
   * The shutdown grace is over. A stream under way ends in-band: `error` (`unavailable`), `usage`,
   * `finish` are queued for the client and it is accounted now. Before that (a JSON answer, a
   * stream before its first chunk) the attempt in flight is ended and `open` throws `unavailable`,
   * accounted with what was produced.
   */
  shutDown(): void {
    if (this.accounting.finished || this.cancelled || this.stopping) return;
    const error = new GatewayError("unavailable", "the service is shutting down");
    const pump = this.pump;
    this.stopping = error;
    if (this.opened) {
      const result = pump.normalizer.fail(error.code, error.message);
      this.finalize("error", error, result);
      this.releaseUpstream();
      return;
    }
    if (pump.iterator && this.accounting.target) this.stoppedResult = pump.normalizer.cancel();
    pump.timeouts?.abort(error);
    this.backoff?.abort(error);
  }

  /** The client went away: stop the upstream (or the wait between attempts) at once and account for what was produced. */
  cancel(): void {
    if (this.accounting.finished || this.cancelled) return;
    const pump = this.pump;
    this.cancelled = true;
    // Ends the attempt in flight (its upstream request) or the wait between attempts; `open`
    // checks `cancelled` before starting another.
    pump.timeouts?.abort(new ClientCancelled());
    this.backoff?.abort(new ClientCancelled());
    if (pump.iterator && this.accounting.target) this.finalize("cancelled", null, pump.normalizer.cancel());
    // Release the generator (and its socket) once any pending read has settled.
    pump.iterator?.return?.().catch(() => {});
  }

  /** The attempt's failure as the client, the logs and the usage event will see it: without the target's secrets. */
  private classify(e: unknown): GatewayError {
    const error = this.pump.timeouts?.timeoutError() ?? toGatewayError(e);
    const target = this.accounting.target;
    return target ? error.withMessage(redactSecrets(error.message, secretsOf(target.config))) : error;
  }

  /** The technical cause (an error code, our own exception) for the log line only, without secrets. */
  private failureDetail(error: GatewayError): string | undefined {
    const detail = failureDetail(error);
    const target = this.accounting.target;
    return detail && target ? redactSecrets(detail, secretsOf(target.config)) : detail;
  }

  /** A failed attempt: its error, with its timers stopped and its upstream request ended. */
  private endAttempt(e: unknown): GatewayError {
    const error = this.classify(e);
    this.releaseUpstream();
    this.pump.iterator = null;
    this.pump.timeouts = null;
    return error;
  }

  private releaseUpstream(): void {
    const timeouts = this.pump.timeouts;
    timeouts?.dispose();
    if (timeouts && !timeouts.signal.aborted) timeouts.abort(new Error("attempt abandoned"));
    this.pump.iterator?.return?.().catch(() => {});
  }

  private fail(error: GatewayError): never {
    this.finalize("error", error, null);
    throw error;
  }

  private logAttemptSuccess(target: Target, attempt: number, startedAt: number): void {
    // A first attempt that answers is reported by "completion finished"; a recovery is worth a line.
    const failedBefore = this.accounting.attempts.length;
    this.input.logger[failedBefore > 0 ? "info" : "debug"]("upstream attempt answered", {
      providerId: target.providerId,
      deploymentName: target.deploymentName,
      attempt,
      failedBefore,
      durationMs: Math.round(performance.now() - startedAt),
    });
  }

  private recordFailedAttempt(target: Target, error: GatewayError, attempt: number, startedAt: number, decision: RetryDecision): void {
    this.accounting.attemptFailed(target, error);
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

  /** The outcome is known: stop the attempt's timers and the client watch, and account for it once. */
  private finalize(outcome: Outcome, error: GatewayError | null, result: NormalizerResult | null): void {
    if (!this.accounting.finish(outcome, error, result)) return;
    this.pump.timeouts?.dispose();
    this.input.clientSignal?.removeEventListener("abort", this.onClientAbort);
  }
}
