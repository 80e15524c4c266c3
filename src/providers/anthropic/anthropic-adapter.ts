/** `anthropic`: Anthropic's Messages API through the official SDK. */
import Anthropic from "@anthropic-ai/sdk";
import type { Stream } from "@anthropic-ai/sdk/core/streaming";
import type { AnthropicConfig } from "./anthropic-provider";
import type { CompletionRequest } from "../../core/request";
import type { ProviderAdapter, ProviderCall } from "../provider-adapter";
import { DEFAULT_TIMEOUT_MS, runProvider } from "../provider-runner";
import { oneFramePerRead } from "../wire/frame-batches";
import { boundedFetch } from "../wire/bounded-body";
import { upstreamLimits } from "../upstream-limits";
import { buildAnthropicMessagesBody, type AnthropicRequestPlan } from "./anthropic-request-body";
import { AnthropicResponseTranslator, type AnthropicMessageLike, type AnthropicStreamEventLike } from "./anthropic-response-to-events";
import { describeAnthropicFailure } from "./describe-anthropic-failure";

export const ANTHROPIC_BASE_URL = "https://api.anthropic.com";
/** The API version the service sends; a mapping's `headers` may override it. */
export const ANTHROPIC_VERSION = "2023-06-01";
const MESSAGES_PATH = "/v1/messages";

export function createAnthropicClient(config: AnthropicConfig): Anthropic {
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

export function createAnthropicAdapter(config: AnthropicConfig): ProviderAdapter {
  const type = "anthropic";
  const client = createAnthropicClient(config);
  const post = <T>(plan: AnthropicRequestPlan, request: CompletionRequest, call: ProviderCall) =>
    // `client.post` rather than `messages.create`: the same request, minus the SDK's per-call
    // console warnings about model names (deprecations) that would bypass our logs.
    client.post<T>(MESSAGES_PATH, {
      body: { model: call.deploymentName, ...plan.body, stream: request.stream },
      stream: request.stream,
      signal: call.signal,
    });
  return runProvider({
    type,
    buildRequest: (request) => buildAnthropicMessagesBody(request, type),
    send: (plan, request, call) => post<AnthropicMessageLike | Stream<AnthropicStreamEventLike>>(plan, request, call),
    readAnswer: (answer) => answer as AnthropicMessageLike,
    readFrames: (stream) => oneFramePerRead(stream as Stream<AnthropicStreamEventLike>),
    translator: (plan) => new AnthropicResponseTranslator(type, plan.jsonToolName),
    describeFailure: describeAnthropicFailure,
  });
}
