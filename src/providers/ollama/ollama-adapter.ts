/**
 * `ollama`: Ollama's native `POST /api/chat` (NDJSON when streaming), with Bun's `fetch`, which
 * keeps connections alive and pools them per host. The request's AbortSignal, which also carries
 * the total timeout, goes to `fetch` and so reaches the socket.
 */
import type { ProviderConfig } from "../../config/mapping";
import type { AdapterYield } from "../../core/events";
import type { CompletionRequest } from "../../core/request";
import { eventBatches } from "../event-batches";
import { readJsonWithin } from "../bounded-body";
import { upstreamStreamError } from "../upstream-error";
import { upstreamLimits } from "../upstream-limits";
import type { ProviderAdapter, ProviderCall } from "../provider-adapter";
import { mapOllamaError, ollamaHttpError } from "./map-ollama-error";
import { ndjsonLineBatches } from "./ndjson-lines";
import { OllamaLineTranslator, type OllamaChatLine } from "./ollama-lines-to-events";
import { buildOllamaChatBody } from "./ollama-request-body";

export const OLLAMA_BASE_URL = "http://localhost:11434";

export function createOllamaAdapter(config: ProviderConfig): ProviderAdapter {
  const url = `${(config.baseUrl ?? OLLAMA_BASE_URL).replace(/\/+$/, "")}/api/chat`;
  // Headers, not a plain object: a configured "Authorization" and ours must not both be sent.
  const headers = new Headers(config.headers);
  headers.set("content-type", "application/json");
  if (config.apiKey) headers.set("authorization", `Bearer ${config.apiKey}`);
  const limits = upstreamLimits(config);

  return {
    type: "ollama",
    reportsResponseHeaders: true,
    async *complete(request: CompletionRequest, call: ProviderCall): AsyncIterable<AdapterYield> {
      const body = JSON.stringify(buildOllamaChatBody(request, call.deploymentName, call.logger));
      let response: Response;
      try {
        response = await fetch(url, { method: "POST", headers, body, signal: call.signal });
      } catch (error) {
        throw mapOllamaError(error, call.signal, "connect");
      }
      if (!response.ok) throw await ollamaHttpError(response, limits);
      call.onResponseHeaders?.();

      const translator = new OllamaLineTranslator();
      try {
        if (!request.stream) {
          yield translator.translate((await readJsonWithin(response, "ollama", limits)) as OllamaChatLine);
        } else if (response.body) {
          yield* eventBatches(ndjsonLineBatches(response.body, limits.maxEventBytes, "ollama"), (line, out) => {
            const events = translator.translate(JSON.parse(line) as OllamaChatLine);
            for (let i = 0; i < events.length; i++) out.push(events[i]!);
          });
        }
      } catch (error) {
        throw mapOllamaError(error, call.signal, "read");
      }
      if (!translator.done) throw upstreamStreamError("ollama", "the answer ended before its final `done` line");
    },
  };
}
