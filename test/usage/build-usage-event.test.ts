/** The usage event's rules, field by field, on the pure builder: what billing reads from it. */
import { describe, expect, test } from "bun:test";
import { normalizeRequest } from "../../src/core/request";
import { buildUsageEvent, type CompletionFacts } from "../../src/usage/build-usage-event";

const ENDED_AT = Date.parse("2026-01-15T10:30:00.000Z");

function facts(overrides: Partial<CompletionFacts> = {}): CompletionFacts {
  return {
    eventId: "e-1",
    requestId: "r-1",
    request: normalizeRequest({ model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] }),
    api: "completions",
    target: { providerType: "openai", providerId: "openai-main", deploymentName: "gpt-4o-2024-08-06" },
    outcome: "success",
    error: null,
    result: {
      usage: { inputTokens: 250, outputTokens: 150, reasoningTokens: 40, cachedInputTokens: 100 },
      usageSource: "provider",
      finishReason: "stop",
    },
    cost: null,
    durationMs: 811.6,
    timeToFirstTokenMs: null,
    endedAt: ENDED_AT,
    includeMessages: true,
    auth: null,
    attempts: [],
    ...overrides,
  } as CompletionFacts;
}

describe("buildUsageEvent", () => {
  test("tokens, totals and the answering target; durations rounded; the end as an ISO timestamp", () => {
    const event = buildUsageEvent(facts());
    expect(event).toMatchObject({
      eventId: "e-1",
      requestId: "r-1",
      model: "gpt-4o",
      provider: "openai",
      providerId: "openai-main",
      deploymentName: "gpt-4o-2024-08-06",
      inputTokens: 250,
      outputTokens: 150,
      totalTokens: 400,
      reasoningTokens: 40,
      cachedInputTokens: 100,
      usageSource: "provider",
      status: "success",
      finishReason: "stop",
      durationMs: 812,
      timestamp: "2026-01-15T10:30:00.000Z",
      api: "completions",
    });
  });

  test("every parameter the request did not set is null; toolsCount 0", () => {
    const event = buildUsageEvent(facts());
    for (const field of [
      "temperature",
      "topP",
      "topK",
      "maxOutputTokens",
      "responseFormat",
      "toolChoice",
      "stop",
      "seed",
      "presencePenalty",
      "frequencyPenalty",
      "reasoningEffort",
      "context",
      "cost",
      "auth",
      "error",
    ] as const) {
      expect(event[field], field).toBeNull();
    }
    expect(event.toolsCount).toBe(0);
  });

  test("a failure before any answer: zero tokens, estimated, finishReason error, the error kept", () => {
    const event = buildUsageEvent(
      facts({ outcome: "error", result: null, error: { code: "upstream_timeout", message: "openai timed out" } }),
    );
    expect(event).toMatchObject({
      inputTokens: 0,
      outputTokens: 0,
      totalTokens: 0,
      reasoningTokens: 0,
      cachedInputTokens: 0,
      usageSource: "estimated",
      status: "error",
      finishReason: "error",
      error: { code: "upstream_timeout", message: "openai timed out" },
    });
  });

  test("a cancelled completion has no finish reason; messages are left out when the service is told to", () => {
    const event = buildUsageEvent(facts({ outcome: "cancelled", includeMessages: false }));
    expect(event.finishReason).toBeNull();
    expect(event.messages).toBeNull();
  });

  test("a stream's time to first token is rounded; the door and the caller are as given", () => {
    const event = buildUsageEvent(
      facts({ timeToFirstTokenMs: 139.5, api: "anthropic_messages", auth: { method: "api_key", keyName: "batch" } }),
    );
    expect(event.timeToFirstTokenMs).toBe(140);
    expect(event.api).toBe("anthropic_messages");
    expect(event.auth).toEqual({ method: "api_key", keyName: "batch" });
  });
});
