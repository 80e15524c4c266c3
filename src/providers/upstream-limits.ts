/**
 * How much of an upstream's answer is held at once. Without a bound an upstream (broken, or
 * hostile) could push the service out of memory with one endless JSON answer or SSE event, and a
 * huge error page would become a huge client error, log line and usage event.
 *
 * - a whole JSON answer: `maxResponseBytes` (provider setting), 32 MiB by default;
 * - one SSE event or NDJSON line of a stream: `maxEventBytes`, 8 MiB by default (a stream as a
 *   whole is not bounded: only what is held at once);
 * - an error answer: its first 64 KiB are read, the rest is dropped (the message passed on is
 *   clipped further, see `MAX_UPSTREAM_MESSAGE_CHARS`).
 *
 * Past a bound the attempt fails with `upstream_error` ("<provider> answer exceeds N bytes") and
 * the upstream body is cancelled.
 */
import type { CommonProviderConfig } from "./provider-config";
import { GatewayError } from "../core/errors";

export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
export const DEFAULT_MAX_EVENT_BYTES = 8 * 1024 * 1024;
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

export interface UpstreamLimits {
  /** A whole JSON answer. */
  maxResponseBytes: number;
  /** One SSE event, NDJSON line or event-stream frame. */
  maxEventBytes: number;
  /** What is read of an error answer; the rest is dropped. */
  maxErrorBodyBytes: number;
}

export function upstreamLimits(config: Pick<CommonProviderConfig, "maxResponseBytes" | "maxEventBytes">): UpstreamLimits {
  return {
    maxResponseBytes: config.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    maxEventBytes: config.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES,
    maxErrorBodyBytes: MAX_ERROR_BODY_BYTES,
  };
}

/** `what`: "answer" for a whole body, "event" for one event or line of a stream. */
export function upstreamTooLarge(providerType: string, what: "answer" | "event", limit: number): GatewayError {
  const message =
    what === "answer"
      ? `${providerType} answer exceeds ${limit} bytes`
      : `${providerType} answer exceeds ${limit} bytes in one stream event`;
  return new GatewayError("upstream_error", message, { retryable: true });
}
