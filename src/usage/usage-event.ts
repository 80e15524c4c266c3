/** The usage event (docs/usage-events.md), published once per completion. */
import type { FinishReason } from "../core/events";
import type { Cost } from "../cost/cost-of-usage";

export interface FailedAttempt {
  providerId: string;
  deploymentName: string;
  error: string;
}

export interface UsageEvent {
  eventId: string;
  requestId: string;
  model: string;
  provider: string | null;
  providerId: string | null;
  deploymentName: string | null;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  reasoningTokens: number;
  cachedInputTokens: number;
  usageSource: "provider" | "estimated";
  stream: boolean;
  temperature: number | null;
  topP: number | null;
  topK: number | null;
  maxOutputTokens: number | null;
  responseFormat: unknown | null;
  toolChoice: unknown | null;
  toolsCount: number;
  stop: string[] | null;
  seed: number | null;
  presencePenalty: number | null;
  frequencyPenalty: number | null;
  reasoningEffort: string | null;
  /** The token counts priced at the answering target's prices; null when it has none. */
  cost: Cost | null;
  status: "success" | "error" | "cancelled";
  finishReason: FinishReason | null;
  error: { code: string; message: string } | null;
  durationMs: number;
  timeToFirstTokenMs: number | null;
  timestamp: string;
  messages: unknown[] | null;
  /** Who called: an API key's name (or fingerprint) or a JWT's subject; null in public mode. */
  auth: UsageAuth | null;
  context: Record<string, unknown> | null;
  /** Targets tried and failed before the one that answered (routing fallbacks). */
  attempts: FailedAttempt[];
  /** The API the request came through: our own, or a front door. */
  api: "completions" | "openai_chat" | "anthropic_messages";
  /** Present only when part of the event was cut or left out to publish it: which, and why. */
  truncated?: Truncated;
}

export type UsageAuth = { method: "api_key"; keyName: string } | { method: "jwt"; subject: string };

/**
 * `too_large`: the field was larger than its cap; its long strings were shortened to fit (or, when
 * even its structure is larger, it is null). `unserialisable`: the field could not be serialised
 * (e.g. nested too deep) and is null.
 */
export interface TruncationNote {
  reason: "too_large" | "unserialisable";
  /** Its serialised size before the cut. */
  bytes?: number;
  limit?: number;
  error?: string;
}

export type Truncated = Record<string, TruncationNote>;

export type SinkState = "ok" | "degraded";

export interface SinkHealth {
  sink: "log" | "rabbitmq";
  state: SinkState;
  /** Events accepted and not yet confirmed delivered (memory + spool). */
  pending: number;
  detail?: string;
}

/**
 * Where usage events go. `publish` never blocks or throws on the response path: the sink owns
 * delivery from the moment it is called.
 */
export interface UsageSink {
  publish(event: UsageEvent): void;
  health(): SinkHealth;
  /** Deliver what waits, within the deadline; what cannot be delivered is kept (spool). */
  close(deadlineMs: number): Promise<void>;
}
