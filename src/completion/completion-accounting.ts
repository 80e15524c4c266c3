/**
 * What one completion accounts for, exactly once, after its answer is written: the completion
 * metrics, the usage event handed to the sink, the rate limits' hold settled to the real usage,
 * and the "completion finished" log line. It is its own after-response task: nothing is allocated
 * to schedule it.
 */
import type { Target } from "../catalog/model-catalog";
import type { GatewayError } from "../core/errors";
import type { NormalizerResult } from "../core/stream-normalizer";
import { costOfUsage, type Cost } from "../cost/cost-of-usage";
import { buildUsageEvent } from "../usage/build-usage-event";
import { lostEventLog } from "../usage/event-encoding";
import type { FailedAttempt } from "../usage/usage-event";
import { afterResponse, type AfterResponseTask } from "./after-response";
import type { CompletionDeps, CompletionInput } from "./completion-execution";

export type Outcome = "success" | "error" | "cancelled";

const NO_USAGE = { inputTokens: 0, outputTokens: 0 };

export class CompletionAccounting implements AfterResponseTask {
  /** The target tried last: the one that answered, or failed last. */
  target: Target | null = null;
  readonly attempts: FailedAttempt[] = [];
  firstChunkAt: number | null = null;
  /** Time spent awaiting the upstream, subtracted from the total to get our own overhead. */
  upstreamWaitMs = 0;
  /** Set once the outcome is known; nothing changes it afterwards. */
  finished = false;
  private outcome: Outcome = "success";
  private error: GatewayError | null = null;
  private result: NormalizerResult | null = null;
  private durationMs = 0;
  private endedAt = 0;
  /** Set once `run` handed the usage event to the sink. */
  private eventHandedOver = false;

  constructor(
    private readonly deps: CompletionDeps,
    private readonly input: CompletionInput,
  ) {}

  /** A failed attempt, for the usage event's `attempts` and the upstream error metric. */
  attemptFailed(target: Target, error: GatewayError): void {
    this.attempts.push({ providerId: target.providerId, deploymentName: target.deploymentName, error: `${error.code}: ${error.message}` });
    this.upstreamFailed(error);
  }

  upstreamFailed(error: GatewayError): void {
    this.deps.metrics.upstreamErrors.inc({ provider: this.target?.providerType ?? "none", code: error.code });
  }

  /** The outcome is known: false when it already was. Accounting runs after this turn's writes. */
  finish(outcome: Outcome, error: GatewayError | null, result: NormalizerResult | null): boolean {
    if (this.finished) return false;
    this.finished = true;
    this.outcome = outcome;
    this.error = error;
    this.result = result;
    this.durationMs = performance.now() - this.input.receivedAt;
    this.endedAt = Date.now();
    // Off the response path: the answer (or its last chunk) is written first.
    afterResponse(this);
    return true;
  }

  run(): void {
    const { outcome, error, result, durationMs } = this;
    const { request, requestId, receivedAt, logger } = this.input;
    const target = this.target;
    const usage = result?.usage ?? NO_USAGE;
    const cost = costOfUsage(usage, target?.pricing);
    try {
      this.recordMetrics(cost);
    } catch (e) {
      // The usage event matters more than a metric: go on to publish it.
      logger.error("completion metrics could not be recorded", { requestId, error: e as Error });
    }

    if (outcome === "error" && target === null) {
      // Refused before any target was tried (every circuit open): no tokens were used, so there is
      // no usage event; completion_requests_total (above) counts the request.
      logger.info("completion finished", {
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
      endedAt: this.endedAt,
      includeMessages: this.deps.includeMessages,
      auth: this.input.auth,
      attempts: this.attempts,
    });
    try {
      this.deps.sink.publish(event);
    } catch (e) {
      // Sinks do not throw; if one ever does, the loss is counted and the billing figures logged.
      this.deps.metrics.usageEvents.inc({ result: "lost" });
      lostEventLog(logger, event, e);
    }
    this.eventHandedOver = true;
    this.input.admission?.settle({ inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, cost });
    logger.info("completion finished", {
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

  /** `run` threw: if that was before the usage event reached the sink, the loss is counted and logged. */
  failed(e: unknown): void {
    const { request, requestId, logger } = this.input;
    if (this.eventHandedOver) {
      logger.error("completion accounting failed after its usage event was published", { requestId, error: e as Error });
      return;
    }
    const usage = this.result?.usage ?? NO_USAGE;
    this.deps.metrics.usageEvents.inc({ result: "lost" });
    logger.error("usage event lost: completion accounting failed", {
      error: (e as Error)?.message ?? String(e),
      requestId,
      model: request.model,
      providerId: this.target?.providerId,
      status: this.outcome,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
    });
  }

  private recordMetrics(cost: Cost | null): void {
    const { request, receivedAt } = this.input;
    const { outcome, result } = this;
    this.deps.completionMetrics.record({
      model: request.model,
      provider: this.target?.providerType ?? "none",
      api: this.input.api ?? "completions",
      stream: request.stream,
      status: outcome === "error" ? this.error!.code : outcome,
      durationSeconds: this.durationMs / 1000,
      overheadSeconds: Math.max(0, this.durationMs - this.upstreamWaitMs) / 1000,
      timeToFirstTokenSeconds: request.stream && this.firstChunkAt !== null ? (this.firstChunkAt - receivedAt) / 1000 : null,
      usage: result ? result.usage : null,
      cost,
    });
  }
}
