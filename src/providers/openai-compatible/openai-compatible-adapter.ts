/**
 * The adapter shared by every provider that speaks OpenAI chat completions (or the legacy text
 * completions) through the `openai` SDK. A provider supplies its dialect and its client (base
 * URL, auth); the rest is here.
 */
import OpenAI from "openai";
import type { AdapterEvent } from "../../core/events";
import type { CompletionRequest } from "../../core/request";
import type { ProviderConfig } from "../../config/mapping";
import type { ProviderAdapter, ProviderCall } from "../provider-adapter";
import { mapOpenAIError } from "./map-openai-error";
import { OpenAIStreamTranslator, openAICompletionToEvents, type OpenAIChunkLike, type OpenAICompletionLike } from "./openai-chunks-to-events";
import { buildOpenAICompletionBody } from "./openai-completion-body";
import type { OpenAIDialect } from "./openai-dialect";
import { buildOpenAIChatBody } from "./openai-request-body";

export const DEFAULT_TIMEOUT_MS = 600_000;

export interface OpenAICompatibleOptions {
  dialect: OpenAIDialect;
  client: OpenAI;
  /** `chat` (default): `/chat/completions`. `completions`: the legacy text API, `/completions`. */
  api?: "chat" | "completions";
}

type Create = (body: unknown, options: { signal: AbortSignal }) => Promise<unknown>;

export function createOpenAICompatibleAdapter({ dialect, client, api = "chat" }: OpenAICompatibleOptions): ProviderAdapter {
  const legacy = api === "completions";
  const create = (legacy ? client.completions.create.bind(client.completions) : client.chat.completions.create.bind(client.chat.completions)) as Create;
  return {
    type: dialect.type,
    reportsResponseHeaders: true,
    async *complete(request: CompletionRequest, call: ProviderCall): AsyncIterable<AdapterEvent> {
      const body = legacy
        ? buildOpenAICompletionBody(request, call.deploymentName, dialect, call.logger)
        : buildOpenAIChatBody(request, call.deploymentName, dialect, call.logger);
      // The legacy prompt ends with "Assistant:", so answers start with the space after it.
      const trim = legacy ? new LeadingWhitespaceTrim() : null;
      try {
        if (!request.stream) {
          const completion = await create(body, { signal: call.signal });
          const events = openAICompletionToEvents(completion as OpenAICompletionLike);
          for (const event of events) yield trim ? trim.apply(event) : event;
          return;
        }
        const stream = (await create(body, { signal: call.signal })) as AsyncIterable<OpenAIChunkLike>;
        call.onResponseHeaders?.();
        const translator = new OpenAIStreamTranslator();
        for await (const chunk of stream) {
          const events = translator.translate(chunk);
          for (let i = 0; i < events.length; i++) yield trim ? trim.apply(events[i]!) : events[i]!;
        }
      } catch (error) {
        throw mapOpenAIError(dialect.type, error);
      }
    },
  };
}

/** Drops the whitespace an answer starts with, across as many text events as it spans. */
class LeadingWhitespaceTrim {
  private started = false;

  apply(event: AdapterEvent): AdapterEvent {
    if (this.started || event.type !== "text") return event;
    const text = event.text.trimStart();
    if (text) this.started = true;
    return text === event.text ? event : { type: "text", text };
  }
}

/**
 * SDK client options every OpenAI-SDK provider shares: no SDK retries, our timeout, the
 * mapping's headers, and nothing taken from the environment (`OPENAI_ORG_ID`,
 * `OPENAI_PROJECT_ID`, `OPENAI_LOG`), nor SDK logging, which could print headers.
 */
export function openAIClientOptions(config: ProviderConfig): {
  maxRetries: 0;
  timeout: number;
  organization: string | null;
  project: null;
  logLevel: "off";
  defaultHeaders?: Record<string, string>;
} {
  return {
    maxRetries: 0,
    timeout: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    organization: config.organization ?? null,
    project: null,
    logLevel: "off",
    ...(config.headers && { defaultHeaders: config.headers }),
  };
}

/**
 * A server at the mapping's `baseUrl` (required) where the Bearer key is optional: vLLM, any
 * remote compatible endpoint.
 */
export function createBaseUrlAdapter(config: ProviderConfig, dialect: OpenAIDialect): ProviderAdapter {
  if (!config.baseUrl) throw new Error("baseUrl is required");
  const client = new OpenAI({ baseURL: config.baseUrl, ...openAIClientOptions(config), ...optionalBearerKey(config) });
  return createOpenAICompatibleAdapter({ dialect, client });
}

/** Stands in for a key the SDK insists on; never sent (its header is removed). */
const NO_KEY = "no-key";

/**
 * Bearer auth where the key is optional: with no key configured the SDK still demands one, so it
 * gets a placeholder and its `Authorization` header is removed — unless the mapping's `headers`
 * set one themselves. Spread after `openAIClientOptions`.
 */
function optionalBearerKey(config: ProviderConfig): { apiKey: string; defaultHeaders?: Record<string, string | null> } {
  if (config.apiKey) return { apiKey: config.apiKey };
  return { apiKey: NO_KEY, defaultHeaders: { Authorization: null, ...config.headers } };
}

/** A required key that is empty (e.g. `${KEY}` set to "") is a mapping error, said plainly. */
export function requireApiKey(config: ProviderConfig): string {
  if (!config.apiKey) throw new Error("apiKey is empty");
  return config.apiKey;
}
