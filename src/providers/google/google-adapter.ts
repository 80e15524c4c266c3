/**
 * `google`: the Gemini API through `@google/genai`, one client per configured provider.
 *
 * The client is pinned to what the mapping says and nothing else: the Gemini API (never Vertex,
 * whatever `GOOGLE_GENAI_USE_VERTEXAI` says), the mapping's key, base URL and API version; no SDK
 * retries (it makes none without `retryOptions`) and no automatic continuation (request params).
 */
import { GoogleGenAI, type GenerateContentResponse } from "@google/genai";
import type { GoogleConfig } from "./google-provider";
import type { ProviderAdapter } from "../provider-adapter";
import { DEFAULT_TIMEOUT_MS, runProvider } from "../provider-runner";
import { oneFramePerRead } from "../wire/frame-batches";
import { boundedFetch } from "../wire/bounded-body";
import { upstreamLimits } from "../upstream-limits";
import { GoogleAnswerTranslator } from "./google-response-to-events";
import { buildGoogleRequest } from "./google-request-params";
import { describeGoogleFailure } from "./describe-google-failure";

export const GOOGLE_BASE_URL = "https://generativelanguage.googleapis.com";
export const GOOGLE_API_VERSION = "v1beta";

export function createGoogleClient(config: GoogleConfig): GoogleGenAI {
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

export function createGoogleAdapter(config: GoogleConfig): ProviderAdapter {
  const client = createGoogleClient(config);
  return runProvider({
    type: "google",
    buildRequest: buildGoogleRequest,
    send: (plan, request, call): Promise<GenerateContentResponse | AsyncGenerator<GenerateContentResponse>> => {
      const params = plan.body;
      params.config.abortSignal = call.signal;
      return request.stream ? client.models.generateContentStream(params) : client.models.generateContent(params);
    },
    readAnswer: (answer) => answer as GenerateContentResponse,
    readFrames: (stream) => oneFramePerRead(stream as AsyncGenerator<GenerateContentResponse>),
    translator: () => new GoogleAnswerTranslator(),
    describeFailure: describeGoogleFailure,
  });
}
