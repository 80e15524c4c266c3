/** `anthropic`: Anthropic's Messages API through the official SDK. */
import Anthropic from "@anthropic-ai/sdk";
import type { Stream } from "@anthropic-ai/sdk/core/streaming";
import type { ProviderConfig } from "../../config/mapping";
import { GatewayError } from "../../core/errors";
import type { AdapterEvent } from "../../core/events";
import type { CompletionRequest } from "../../core/request";
import { DEFAULT_TIMEOUT_MS } from "../openai-compatible/openai-compatible-adapter";
import type { ProviderAdapter, ProviderCall } from "../provider-adapter";
import { boundedFetch } from "../bounded-body";
import { upstreamLimits } from "../upstream-limits";
import { buildAnthropicMessagesBody } from "./anthropic-request-body";
import { AnthropicStreamTranslator, anthropicMessageToEvents, type AnthropicMessageLike, type AnthropicStreamEventLike } from "./anthropic-response-to-events";
import { mapAnthropicError } from "./map-anthropic-error";

export const ANTHROPIC_BASE_URL = "https://api.anthropic.com";
/** The API version CONTRACT §4 pins; a mapping's `headers` may override it. */
export const ANTHROPIC_VERSION = "2023-06-01";
const MESSAGES_PATH = "/v1/messages";

export function createAnthropicClient(config: ProviderConfig): Anthropic {
  return new Anthropic({
    // The SDK would send the key as `Authorization: Bearer`; the contract sends `x-api-key`.
    apiKey: config.apiKey,
    baseURL: config.baseUrl ?? ANTHROPIC_BASE_URL,
    maxRetries: 0,
    timeout: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    defaultHeaders: {
      Authorization: null,
      "x-api-key": config.apiKey ?? null,
      "anthropic-version": ANTHROPIC_VERSION,
      ...config.headers,
    },
    // Every failure reaches us as an error and is logged once, structured, by the service; the
    // SDK's own console lines would bypass that. Settled here rather than by ANTHROPIC_LOG.
    logLevel: "off",
    openTelemetry: false,
    // The SDK reads bodies itself: bounded underneath it.
    fetch: boundedFetch("anthropic", upstreamLimits(config)),
  });
}

export function createAnthropicAdapter(config: ProviderConfig): ProviderAdapter {
  const type = "anthropic";
  const client = createAnthropicClient(config);
  return {
    type,
    reportsResponseHeaders: true,
    async *complete(request: CompletionRequest, call: ProviderCall): AsyncIterable<AdapterEvent> {
      const { body, jsonToolName } = buildAnthropicMessagesBody(request, type, call.logger, call.deploymentName);
      const params = { model: call.deploymentName, ...body, stream: request.stream };
      let phase: "request" | "read" = "request";
      try {
        // `client.post` rather than `messages.create`: the same request, minus the SDK's per-call
        // console warnings about model names (deprecations) that would bypass our logs.
        if (!request.stream) {
          const message = await client.post<AnthropicMessageLike>(MESSAGES_PATH, { body: params, signal: call.signal });
          yield* anthropicMessageToEvents(message, jsonToolName, type);
          return;
        }
        const stream = await client.post<Stream<AnthropicStreamEventLike>>(MESSAGES_PATH, { body: params, stream: true, signal: call.signal });
        phase = "read";
        call.onResponseHeaders?.();
        const translator = new AnthropicStreamTranslator(type, jsonToolName);
        for await (const event of stream) {
          const events = translator.translate(event);
          for (let i = 0; i < events.length; i++) yield events[i]!;
        }
        // The SDK ends an aborted stream quietly; it did not end well.
        if (call.signal.aborted) throw new GatewayError("upstream_error", "request aborted");
      } catch (error) {
        throw mapAnthropicError(type, error, phase);
      }
    },
  };
}
