/**
 * `mistral`: Mistral's chat completions through the official SDK (`@mistralai/mistralai`).
 * The SDK's retries are off (routing retries, across targets) and the request's AbortSignal is
 * handed to it, which also carries the total timeout: the SDK's own timer only runs when no
 * signal is given.
 */
import { Mistral } from "@mistralai/mistralai";
import { HTTPClient } from "@mistralai/mistralai/lib/http";
import type { ProviderConfig } from "../../config/mapping";
import { GatewayError } from "../../core/errors";
import type { AdapterEvent } from "../../core/events";
import type { CompletionRequest } from "../../core/request";
import { DEFAULT_TIMEOUT_MS } from "../openai-compatible/openai-compatible-adapter";
import type { ProviderAdapter, ProviderCall } from "../provider-adapter";
import { boundedFetch } from "../bounded-body";
import { upstreamLimits } from "../upstream-limits";
import { mapMistralError } from "./map-mistral-error";
import { MistralStreamTranslator, mistralCompletionToEvents } from "./mistral-chunks-to-events";
import { buildMistralRequest } from "./mistral-request";

export const MISTRAL_BASE_URL = "https://api.mistral.ai";

export function createMistralAdapter(config: ProviderConfig): ProviderAdapter {
  const client = new Mistral({
    apiKey: config.apiKey,
    serverURL: config.baseUrl ?? MISTRAL_BASE_URL,
    retryConfig: { strategy: "none" },
    timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    // The SDK reads bodies itself: bounded underneath it.
    httpClient: new HTTPClient({ fetcher: boundedFetch("mistral", upstreamLimits(config)) }),
  });
  const headers = config.headers;

  return {
    type: "mistral",
    reportsResponseHeaders: true,
    async *complete(request: CompletionRequest, call: ProviderCall): AsyncIterable<AdapterEvent> {
      const body = buildMistralRequest(request, call.deploymentName, call.logger);
      const options = { signal: call.signal, retries: { strategy: "none" as const }, ...(headers && { headers }) };
      let phase: "request" | "read" = "request";
      try {
        if (!request.stream) {
          const completion = await client.chat.complete(body, options);
          const events = mistralCompletionToEvents(completion);
          for (let i = 0; i < events.length; i++) yield checked(events[i]!);
          return;
        }
        const stream = await client.chat.stream({ ...body, stream: true }, options);
        phase = "read";
        call.onResponseHeaders?.();
        const translator = new MistralStreamTranslator();
        for await (const event of stream) {
          const events = translator.translate(event.data);
          for (let i = 0; i < events.length; i++) yield checked(events[i]!);
        }
      } catch (error) {
        throw mapMistralError(error, call.signal, phase);
      }
    },
  };
}

/**
 * `finish_reason: "error"` is how Mistral reports a generation that failed after it started:
 * a failure (an `error` line for a streaming client), and one routing may retry elsewhere when
 * nothing was sent yet.
 */
function checked(event: AdapterEvent): AdapterEvent {
  if (event.type === "finish" && event.reason === "error") {
    throw new GatewayError("upstream_error", 'mistral stopped generating with finish_reason "error"', { retryable: true });
  }
  return event;
}
