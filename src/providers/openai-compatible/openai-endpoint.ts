/**
 * Where and how an OpenAI-compatible request is sent: the URL for a deployment, and the headers
 * (auth, organization, the mapping's own). Built once per configured provider; per request only
 * the URL of a deployment not seen before is made.
 *
 * The requests are the ones the official `openai` SDK sends (same paths, query, auth headers,
 * `redirect: "manual"` with Azure's `api-key`). Timeouts are routing's (`timeoutMs` bounds each
 * attempt there), not the transport's. The SDK was measured to cost 4× a direct `fetch`
 * per stream on the hot path (README, Performance), so this family is sent with `fetch`.
 */
import type { CommonProviderConfig } from "../provider-config";
import { upstreamLimits, type UpstreamLimits } from "../upstream-limits";

/** The parts of a mapping entry an endpoint reads. */
export type EndpointConfig = CommonProviderConfig & { organization?: string };

export type OpenAIApi = "chat" | "completions";

export interface OpenAIEndpoint {
  /** The URL a request for this deployment goes to. */
  url(api: OpenAIApi, deploymentName: string): string;
  /** Request headers, names in lower case; shared by every request (never mutated). */
  readonly headers: Readonly<Record<string, string>>;
  /** Azure's `api-key` must not follow a redirect to another host (as the SDK does). */
  readonly redirect: "follow" | "manual";
  /** How much of an answer is held at once. */
  readonly limits: UpstreamLimits;
}

export const PATHS: Record<OpenAIApi, string> = { chat: "/chat/completions", completions: "/completions" };

/** `{baseUrl}/chat/completions`: OpenAI, Jamba, vLLM, any compatible server. */
export function baseUrlEndpoint(baseUrl: string, config: EndpointConfig, auth: Record<string, string>): OpenAIEndpoint {
  const base = baseUrl.replace(/\/+$/, "");
  const urls: Record<OpenAIApi, string> = { chat: base + PATHS.chat, completions: base + PATHS.completions };
  return {
    url: (api) => urls[api],
    headers: headersFor(config, auth),
    redirect: "follow",
    limits: upstreamLimits(config),
  };
}

/** `Authorization: Bearer …`, or nothing when the server needs no key (vLLM, remote). */
export function bearerAuth(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
}

/** Ours first, then the mapping's `headers`, which win (case-insensitively). */
export function headersFor(config: EndpointConfig, auth: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json",
    ...auth,
  };
  if (config.organization) headers["openai-organization"] = config.organization;
  for (const [name, value] of Object.entries(config.headers ?? {})) headers[name.toLowerCase()] = value;
  return headers;
}

/** A required key that is empty (e.g. `${KEY}` set to "") is a mapping error, said plainly. */
export function requireApiKey(config: { apiKey?: string }): string {
  if (!config.apiKey) throw new Error("apiKey is empty");
  return config.apiKey;
}
