/**
 * The usage event of one completion, from what the completion knew when it ended. Pure: the same
 * facts give the same event, so every field's rule is testable without running a completion.
 */
import type { Cost } from "../cost/cost-of-usage";
import type { CompletionRequest } from "../core/request";
import type { NormalizerResult } from "../core/stream-normalizer";
import { isoTime } from "../observability/iso-time";
import type { FailedAttempt, UsageAuth, UsageEvent } from "./usage-event";

export interface CompletionFacts {
  eventId: string;
  requestId: string;
  request: CompletionRequest;
  api: UsageEvent["api"];
  /** The target that answered, or the last one tried. */
  target: { providerType: string; providerId: string; deploymentName: string } | null;
  outcome: UsageEvent["status"];
  error: { code: string; message: string } | null;
  /** What the normalizer produced; null when no attempt got as far as an answer. */
  result: NormalizerResult | null;
  cost: Cost | null;
  durationMs: number;
  /** From the request's arrival to its first chunk, streams only. */
  timeToFirstTokenMs: number | null;
  /** Epoch ms when the completion ended. */
  endedAt: number;
  includeMessages: boolean;
  auth: UsageAuth | null;
  attempts: FailedAttempt[];
}

export function buildUsageEvent(facts: CompletionFacts): UsageEvent {
  const { request, target, result, outcome } = facts;
  const usage = result?.usage ?? { inputTokens: 0, outputTokens: 0 };
  return {
    eventId: facts.eventId,
    requestId: facts.requestId,
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
    stop: request.stop ?? null,
    seed: request.seed ?? null,
    presencePenalty: request.presencePenalty ?? null,
    frequencyPenalty: request.frequencyPenalty ?? null,
    reasoningEffort: request.reasoningEffort ?? null,
    api: facts.api,
    cost: facts.cost,
    status: outcome,
    finishReason: outcome === "success" ? (result?.finishReason ?? null) : outcome === "error" ? "error" : null,
    error: facts.error,
    durationMs: Math.round(facts.durationMs),
    timeToFirstTokenMs: facts.timeToFirstTokenMs === null ? null : Math.round(facts.timeToFirstTokenMs),
    timestamp: isoTime(facts.endedAt),
    messages: facts.includeMessages ? request.messages : null,
    auth: facts.auth,
    context: request.context ?? null,
    attempts: facts.attempts,
  };
}
