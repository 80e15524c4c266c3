/**
 * `google`: the Gemini API through `@google/genai`, one client per configured provider.
 *
 * The client is pinned to what the mapping says and nothing else: the Gemini API (never Vertex,
 * whatever `GOOGLE_GENAI_USE_VERTEXAI` says), the mapping's key, base URL and API version; no SDK
 * retries (it makes none without `retryOptions`) and no automatic continuation (request params).
 */
import { GoogleGenAI } from "@google/genai";
import type { ProviderConfig } from "../../config/mapping";
import type { AdapterEvent } from "../../core/events";
import type { CompletionRequest } from "../../core/request";
import { DEFAULT_TIMEOUT_MS } from "../openai-compatible/openai-compatible-adapter";
import type { ProviderAdapter, ProviderCall } from "../provider-adapter";
import { boundedFetch } from "../bounded-body";
import { upstreamLimits } from "../upstream-limits";
import { GoogleResponseTranslator } from "./google-response-to-events";
import { buildGoogleRequest } from "./google-request-params";
import { mapGoogleError } from "./map-google-error";

export const GOOGLE_BASE_URL = "https://generativelanguage.googleapis.com";
export const GOOGLE_API_VERSION = "v1beta";

export function createGoogleClient(config: ProviderConfig): GoogleGenAI {
  const apiVersion = config.apiVersion ?? GOOGLE_API_VERSION;
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new GoogleGenAI({
    vertexai: false,
    apiKey: config.apiKey ?? "",
    apiVersion,
    httpOptions: {
      baseUrl: config.baseUrl ?? GOOGLE_BASE_URL,
      apiVersion,
      // No `timeout` here: the SDK arms a timer per call that it never clears once the answer is
      // read, so every call would leave one behind for `timeoutMs`. The call's signal carries our
      // deadline instead; Google still learns it, as the SDK would tell it.
      headers: withServerTimeout(config.headers, timeoutMs),
      // The SDK reads bodies itself: bounded underneath it.
      fetch: boundedFetch("google", upstreamLimits(config)),
    },
  });
}

function withServerTimeout(headers: Record<string, string> | undefined, timeoutMs: number): Record<string, string> {
  const own = headers && Object.keys(headers).some((k) => k.toLowerCase() === "x-server-timeout");
  return own ? headers : { "X-Server-Timeout": String(Math.ceil(timeoutMs / 1000)), ...headers };
}

export function createGoogleAdapter(config: ProviderConfig): ProviderAdapter {
  const client = createGoogleClient(config);
  return {
    type: "google",
    reportsResponseHeaders: true,
    async *complete(request: CompletionRequest, call: ProviderCall): AsyncIterable<AdapterEvent> {
      const params = buildGoogleRequest(request, call.deploymentName, call.signal);
      const translator = new GoogleResponseTranslator();
      const state = { signal: call.signal, reading: false, yielded: false };
      try {
        if (!request.stream) {
          const response = await client.models.generateContent(params);
          state.reading = true;
          yield* translator.translate(response);
          if (translator.failure) throw translator.failure;
          return;
        }
        const stream = await client.models.generateContentStream(params);
        call.onResponseHeaders?.();
        state.reading = true;
        for await (const chunk of stream) {
          const events = translator.translate(chunk);
          for (let i = 0; i < events.length; i++) {
            const event = events[i]!;
            if (event.type === "text" || event.type === "tool_call") state.yielded = true;
            yield event;
          }
          if (translator.failure) throw translator.failure;
        }
      } catch (error) {
        throw mapGoogleError(error, state);
      } finally {
        if (translator.blockReason) {
          call.logger.info("google blocked the prompt", { deploymentName: call.deploymentName, blockReason: translator.blockReason });
        }
      }
    },
  };
}
