/**
 * `mistral`: Mistral's chat completions through the official SDK (`@mistralai/mistralai`).
 * The SDK's retries are off (routing retries, across targets) and the request's AbortSignal is
 * handed to it, which also carries the total timeout: the SDK's own timer only runs when no
 * signal is given.
 */
import { Mistral } from "@mistralai/mistralai";
import { HTTPClient } from "@mistralai/mistralai/lib/http";
import type { MistralConfig } from "./mistral-provider";
import type { EventStream } from "@mistralai/mistralai/lib/event-streams";
import type { ChatCompletionResponse, CompletionEvent } from "@mistralai/mistralai/models/components";
import type { ProviderAdapter, ProviderCall } from "../provider-adapter";
import { DEFAULT_TIMEOUT_MS, runProvider } from "../provider-runner";
import { oneFramePerRead } from "../wire/frame-batches";
import { boundedFetch } from "../wire/bounded-body";
import { upstreamLimits } from "../upstream-limits";
import { describeMistralFailure } from "./describe-mistral-failure";
import { MistralResponseTranslator } from "./mistral-chunks-to-events";
import { buildMistralRequest } from "./mistral-request";

export const MISTRAL_BASE_URL = "https://api.mistral.ai";

export function createMistralAdapter(config: MistralConfig): ProviderAdapter {
  const client = new Mistral({
    apiKey: config.apiKey,
    serverURL: config.baseUrl ?? MISTRAL_BASE_URL,
    retryConfig: { strategy: "none" },
    timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    // The SDK reads bodies itself: bounded underneath it.
    httpClient: new HTTPClient({ fetcher: boundedFetch("mistral", upstreamLimits(config)) }),
  });
  const headers = config.headers;
  const options = (call: ProviderCall) => ({ signal: call.signal, retries: { strategy: "none" as const }, ...(headers && { headers }) });

  return runProvider({
    type: "mistral",
    buildRequest: buildMistralRequest,
    send: (plan, request, call): Promise<ChatCompletionResponse | EventStream<CompletionEvent>> =>
      request.stream ? client.chat.stream({ ...plan.body, stream: true }, options(call)) : client.chat.complete(plan.body, options(call)),
    readAnswer: (answer) => answer as ChatCompletionResponse,
    readFrames: (stream) => oneFramePerRead(stream as EventStream<CompletionEvent>),
    translator: () => new MistralResponseTranslator(),
    describeFailure: describeMistralFailure,
  });
}
