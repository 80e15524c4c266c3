/**
 * The adapter shared by every provider that speaks OpenAI chat completions through the `openai`
 * SDK. A provider supplies its dialect and its client (base URL, auth); the rest is here.
 */
import OpenAI from "openai";
import type { AdapterEvent } from "../../core/events";
import type { CompletionRequest } from "../../core/request";
import type { ProviderConfig } from "../../config/mapping";
import type { ProviderAdapter, ProviderCall } from "../provider-adapter";
import type { ConvertOptions } from "./convert-to-openai-messages";
import { mapOpenAIError } from "./map-openai-error";
import { OpenAIStreamTranslator, openAICompletionToEvents, type OpenAIChunkLike, type OpenAICompletionLike } from "./openai-chunks-to-events";
import type { OpenAIDialect } from "./openai-dialect";
import { buildOpenAIChatBody } from "./openai-request-body";

export const DEFAULT_TIMEOUT_MS = 600_000;

export interface OpenAICompatibleOptions {
  dialect: OpenAIDialect;
  client: OpenAI;
  convert?: ConvertOptions;
}

export function createOpenAICompatibleAdapter({ dialect, client, convert }: OpenAICompatibleOptions): ProviderAdapter {
  return {
    type: dialect.type,
    async *complete(request: CompletionRequest, call: ProviderCall): AsyncIterable<AdapterEvent> {
      const body = buildOpenAIChatBody(request, call.deploymentName, dialect, call.logger, convert);
      try {
        if (!request.stream) {
          const completion = await client.chat.completions.create(
            body as unknown as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
            { signal: call.signal },
          );
          yield* openAICompletionToEvents(completion as unknown as OpenAICompletionLike);
          return;
        }
        const stream = await client.chat.completions.create(
          body as unknown as OpenAI.Chat.ChatCompletionCreateParamsStreaming,
          { signal: call.signal },
        );
        const translator = new OpenAIStreamTranslator();
        for await (const chunk of stream) {
          const events = translator.translate(chunk as unknown as OpenAIChunkLike);
          for (let i = 0; i < events.length; i++) yield events[i]!;
        }
      } catch (error) {
        throw mapOpenAIError(dialect.type, error);
      }
    },
  };
}

/** SDK client options every OpenAI-SDK provider shares: no SDK retries, our timeout, our headers. */
export function openAIClientOptions(config: ProviderConfig): {
  maxRetries: 0;
  timeout: number;
  defaultHeaders?: Record<string, string>;
} {
  return {
    maxRetries: 0,
    timeout: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(config.headers && { defaultHeaders: config.headers }),
  };
}
