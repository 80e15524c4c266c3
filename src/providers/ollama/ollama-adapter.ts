/**
 * `ollama`: Ollama's native `POST /api/chat` (NDJSON when streaming), with Bun's `fetch`, which
 * keeps connections alive and pools them per host. The request's AbortSignal, which also carries
 * the total timeout, goes to `fetch` and so reaches the socket.
 */
import type { OllamaConfig } from "./ollama-provider";
import { readJsonWithin } from "../wire/bounded-body";
import { upstreamLimits } from "../upstream-limits";
import type { ProviderAdapter } from "../provider-adapter";
import { runProvider } from "../provider-runner";
import { ollamaHttpError } from "./read-ollama-error-body";
import { ndjsonLineBatches } from "../wire/ndjson-lines";
import { OllamaResponseTranslator, type OllamaChatLine } from "./ollama-lines-to-events";
import { buildOllamaChatBody } from "./ollama-request-body";

export const OLLAMA_BASE_URL = "http://localhost:11434";

export function createOllamaAdapter(config: OllamaConfig): ProviderAdapter {
  const url = `${(config.baseUrl ?? OLLAMA_BASE_URL).replace(/\/+$/, "")}/api/chat`;
  // Headers, not a plain object: a configured "Authorization" and ours must not both be sent.
  const headers = new Headers(config.headers);
  headers.set("content-type", "application/json");
  if (config.apiKey) headers.set("authorization", `Bearer ${config.apiKey}`);
  const limits = upstreamLimits(config);

  return runProvider({
    type: "ollama",
    buildRequest: buildOllamaChatBody,
    send: async (plan, _request, call) => {
      const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(plan.body), signal: call.signal });
      if (!response.ok) throw await ollamaHttpError(response, limits);
      return response;
    },
    readAnswer: async (response) => (await readJsonWithin(response, "ollama", limits)) as OllamaChatLine,
    readFrames: (response) => ndjsonLineBatches(response.body ?? new ReadableStream(), limits.maxEventBytes, "ollama"),
    translator: () => new OllamaResponseTranslator(),
  });
}
