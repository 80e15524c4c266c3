/**
 * One completion from routed request to usage event: tries the model's targets, runs the chosen
 * adapter's events through the normalizer, and accounts for the outcome exactly once.
 *
 * Streams are pull-based: the HTTP layer asks for more only when the client can take it, and the
 * upstream is read only then. Nothing is sent to the client before the first chunk is ready, so
 * a failure before it may still be routed to another target.
 */
import type { ModelCatalog, Target } from "../catalog/model-catalog";
import { GatewayError, toGatewayError } from "../core/errors";
import type { AdapterEvent, ChunkEvent } from "../core/events";
import type { CompletionRequest } from "../core/request";
import { ResponseAggregator, type CompletionResponse } from "../core/response-aggregator";
import { StreamNormalizer, type NormalizerResult } from "../core/stream-normalizer";
import { estimateInputTokens } from "../core/token-estimate";
import type { Logger } from "../observability/logger";
import type { Metrics } from "../observability/metrics";
import type { TargetSelector } from "../routing/target-selector";
import type { FailedAttempt, UsageEvent, UsageSink } from "../usage/usage-event";
import { DEFAULT_TIMEOUT_MS } from "../providers/openai-compatible/openai-compatible-adapter";

export interface CompletionDeps {
  catalog(): ModelCatalog;
  selector: TargetSelector;
  sink: UsageSink;
  metrics: Metrics;
  logger: Logger;
  includeMessages: boolean;
}

export interface CompletionInput {
  request: CompletionRequest;
  requestId: string;
  /** `performance.now()` when the request arrived. */
  receivedAt: number;
  clientSignal?: AbortSignal;
  auth: { subject: string } | null;
  logger: Logger;
}

type Outcome = "success" | "error" | "cancelled";

/** Thrown (and never sent) when the client went away: there is nobody to answer. */
export class ClientCancelled extends Error {
  constructor() {
    super("client cancelled the request");
    this.name = "ClientCancelled";
  }
}

export class CompletionExecution {
  /** Chunks ready for the client; the HTTP layer drains it. */
  readonly queue: ChunkEvent[] = [];
  private normalizer!: StreamNormalizer;
  private iterator: AsyncIterator<AdapterEvent> | null = null;
  private target: Target | null = null;
  private controller: AbortController | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timedOut = false;
  private cancelled = false;
  private finalized = false;
  private readonly attempts: FailedAttempt[] = [];
  private firstChunkAt: number | null = null;
  /** Time spent awaiting the upstream, subtracted from the total to get our own overhead. */
  private upstreamWaitMs = 0;
  private readonly onClientAbort = () => this.cancel();
  private aggregator: ResponseAggregator | null = null;

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
   * Throws a GatewayError (accounted already) when no target could answer.
   */
  async open(): Promise<void> {
    const { request } = this.input;
    const route = this.deps.catalog().resolve(request.model);
    const targets = this.deps.selector.order(route);
    let lastError: GatewayError | null = null;
    for (const target of targets) {
      if (this.cancelled) break;
      try {
        await this.attempt(target);
        return;
      } catch (e) {
        const error = this.classify(e);
        this.disposeAttempt();
        if (this.cancelled) break;
        this.recordFailedAttempt(target, error);
        lastError = error;
        if (!error.retryable) break;
      }
    }
    if (this.cancelled) {
      this.finalize("cancelled", null, null);
      throw new ClientCancelled();
    }
    const error = lastError ?? new GatewayError("unavailable", `no target could serve model "${request.model}"`);
    this.finalize("error", error, null);
    throw error;
  }

  private async attempt(target: Target): Promise<void> {
    this.target = target;
    this.timedOut = false;
    const controller = new AbortController();
    this.controller = controller;
    const totalMs = target.config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.timer = setTimeout(() => {
      this.timedOut = true;
      controller.abort(new GatewayError("upstream_timeout", `${target.providerType} did not finish within ${totalMs} ms`));
    }, totalMs);
    if (this.input.request.stream) {
      this.normalizer = new StreamNormalizer(this.queue.push.bind(this.queue), () => estimateInputTokens(this.input.request));
    } else {
      this.aggregator = new ResponseAggregator();
      this.normalizer = new StreamNormalizer(this.aggregator.accept, () => estimateInputTokens(this.input.request));
    }
    this.iterator = target.adapter
      .complete(this.input.request, {
        deploymentName: target.deploymentName,
        signal: controller.signal,
        requestId: this.input.requestId,
        logger: this.input.logger,
      })
      [Symbol.asyncIterator]();
    if (this.input.request.stream) {
      while (this.queue.length === 0) {
        if (!(await this.step())) break;
      }
    } else {
      while (await this.step()) {}
    }
  }

  /** Reads one adapter event into the normalizer; false at the end (usage and finish queued). */
  private async step(): Promise<boolean> {
    const t0 = performance.now();
    const next = await this.iterator!.next();
    this.upstreamWaitMs += performance.now() - t0;
    if (next.done) {
      const result = this.normalizer.end();
      this.succeed(result);
      return false;
    }
    this.normalizer.push(next.value);
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
      while (this.queue.length === 0 && (await this.step())) {}
    } catch (e) {
      if (this.cancelled || this.finalized) return;
      const error = this.classify(e);
      this.recordUpstreamError(error);
      const result = this.normalizer.fail(error.code, error.message);
      this.finalize("error", error, result);
    }
  }

  /** JSON: the folded answer, once `open()` resolved. */
  response(id: string): CompletionResponse {
    return this.aggregator!.response(id, this.input.request.model);
  }

  /** The client went away: stop the upstream at once and account for what was produced. */
  cancel(): void {
    if (this.finalized || this.cancelled) return;
    this.cancelled = true;
    this.controller?.abort(new ClientCancelled());
    const iterator = this.iterator;
    if (iterator && this.target) {
      this.finalize("cancelled", null, this.normalizer.cancel());
    }
    // Release the generator (and its socket) once any pending read has settled.
    iterator?.return?.().catch(() => {});
  }

  private classify(e: unknown): GatewayError {
    if (this.timedOut) {
      const reason = this.controller?.signal.reason;
      return reason instanceof GatewayError ? new GatewayError(reason.code, reason.message, { retryable: true }) : toGatewayError(e);
    }
    return toGatewayError(e);
  }

  private recordFailedAttempt(target: Target, error: GatewayError): void {
    this.attempts.push({ providerId: target.providerId, deploymentName: target.deploymentName, error: `${error.code}: ${error.message}` });
    this.recordUpstreamError(error);
    this.input.logger.warn("upstream attempt failed", {
      providerId: target.providerId,
      deploymentName: target.deploymentName,
      code: error.code,
      upstreamStatus: error.upstreamStatus,
      message: error.message,
      retryable: error.retryable,
    });
  }

  private recordUpstreamError(error: GatewayError): void {
    this.deps.metrics.upstreamErrors.inc({ provider: this.target?.providerType ?? "none", code: error.code });
  }

  private disposeAttempt(): void {
    clearTimeout(this.timer);
    this.controller = null;
    this.iterator = null;
  }

  private succeed(result: NormalizerResult): void {
    this.finalize("success", null, result);
  }

  private finalize(outcome: Outcome, error: GatewayError | null, result: NormalizerResult | null): void {
    if (this.finalized) return;
    this.finalized = true;
    clearTimeout(this.timer);
    this.input.clientSignal?.removeEventListener("abort", this.onClientAbort);
    const { request, requestId, receivedAt } = this.input;
    const now = performance.now();
    const durationMs = now - receivedAt;
    const target = this.target;
    const usage = result?.usage ?? { inputTokens: 0, outputTokens: 0 };
    const provider = target?.providerType ?? "none";
    const labels = { model: request.model, provider };
    const m = this.deps.metrics;

    m.requests.inc({ ...labels, stream: String(request.stream), status: outcome === "error" ? error!.code : outcome });
    m.duration.observe({ ...labels, stream: String(request.stream) }, durationMs / 1000);
    m.gatewayOverhead.observe({ stream: String(request.stream) }, Math.max(0, durationMs - this.upstreamWaitMs) / 1000);
    if (request.stream && this.firstChunkAt !== null) m.timeToFirstToken.observe(labels, (this.firstChunkAt - receivedAt) / 1000);
    if (result) {
      m.tokens.inc({ ...labels, kind: "input" }, usage.inputTokens);
      m.tokens.inc({ ...labels, kind: "output" }, usage.outputTokens);
      if (usage.reasoningTokens) m.tokens.inc({ ...labels, kind: "reasoning" }, usage.reasoningTokens);
      if (usage.cachedInputTokens) m.tokens.inc({ ...labels, kind: "cached_input" }, usage.cachedInputTokens);
    }

    const event: UsageEvent = {
      eventId: crypto.randomUUID(),
      requestId,
      model: request.model,
      provider: target?.providerType ?? null,
      providerId: target?.providerId ?? null,
      deploymentName: target?.deploymentName ?? null,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      totalTokens: usage.inputTokens + usage.outputTokens,
      reasoningTokens: usage.reasoningTokens ?? 0,
      cachedInputTokens: usage.cachedInputTokens ?? 0,
      usageSource: result?.usageSource ?? "estimated",
      stream: request.stream,
      temperature: request.temperature ?? null,
      topP: request.topP ?? null,
      topK: request.topK ?? null,
      maxOutputTokens: request.maxOutputTokens ?? null,
      responseFormat: request.responseFormat ?? null,
      toolChoice: request.toolChoice ?? null,
      toolsCount: request.tools?.length ?? 0,
      status: outcome,
      finishReason: outcome === "success" ? result!.finishReason : outcome === "error" ? "error" : null,
      error: error ? { code: error.code, message: error.message } : null,
      durationMs: Math.round(durationMs),
      timeToFirstTokenMs: request.stream && this.firstChunkAt !== null ? Math.round(this.firstChunkAt - receivedAt) : null,
      timestamp: new Date().toISOString(),
      messages: this.deps.includeMessages ? request.messages : null,
      auth: this.input.auth,
      context: request.context ?? null,
      attempts: this.attempts,
    };
    this.deps.sink.publish(event);
    this.input.logger.info("completion finished", {
      model: request.model,
      providerId: target?.providerId,
      status: outcome,
      finishReason: event.finishReason,
      errorCode: error?.code,
      durationMs: event.durationMs,
      inputTokens: event.inputTokens,
      outputTokens: event.outputTokens,
    });
  }
}
