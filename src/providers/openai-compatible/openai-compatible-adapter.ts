/**
 * The adapter shared by every provider that speaks OpenAI chat completions (or the legacy text
 * completions). A provider supplies its dialect and its endpoint (URL, auth); the rest is here.
 *
 * Requests go out with `fetch` and streams are read by our SSE parser: on this family the `openai`
 * SDK cost 4× a direct `fetch` per stream (README, Performance). What the SDK decides about a
 * response is kept as it is — errors are built as its `APIError` classes, an error payload inside a
 * stream is an error, nothing after `[DONE]` is read — and the fakes stay honest because the SDK
 * itself must read them alike (test/providers/openai-fakes-read-by-sdk.test.ts).
 */
import { APIConnectionError, APIError, APIUserAbortError } from "openai/core/error";
import type { AdapterEvent } from "../../core/events";
import type { ProviderAdapter } from "../provider-adapter";
import type { ProviderType } from "../providers";
import { runProvider, type ResponseTranslator } from "../provider-runner";
import { readErrorText, readJsonWithin } from "../wire/bounded-body";
import { SseParser, type SseMessage } from "../wire/sse-parser";
import { upstreamLimits, type UpstreamLimits } from "../upstream-limits";
import { describeOpenAIFailure } from "./describe-openai-failure";
import {
  OpenAIStreamTranslator,
  openAICompletionToEvents,
  type OpenAIChunkLike,
  type OpenAICompletionLike,
} from "./openai-chunks-to-events";
import { buildOpenAICompletionBody } from "./openai-completion-body";
import type { OpenAIDialect } from "./openai-dialect";
import type { OpenAIApi, OpenAIEndpoint } from "./openai-endpoint";
import { buildOpenAIChatBody } from "./openai-request-body";

export interface OpenAICompatibleOptions {
  dialect: OpenAIDialect;
  endpoint: OpenAIEndpoint;
  /** `chat` (default): `/chat/completions`. `completions`: the legacy text API, `/completions`. */
  api?: OpenAIApi;
  /** A provider's own per-request rewrite of the events it answers with, if it needs one. */
  rewriteEvents?: () => EventRewrite;
}

/** Rewrites one event of an answer; made per request, so it may keep state. */
export interface EventRewrite {
  apply(event: AdapterEvent): AdapterEvent;
}

export function createOpenAICompatibleAdapter({
  dialect,
  endpoint,
  api = "chat",
  rewriteEvents,
}: OpenAICompatibleOptions): ProviderAdapter {
  const legacy = api === "completions";
  // A type of `providers.ts`: its declaration made the dialect.
  const type = dialect.type as ProviderType;
  return runProvider({
    type,
    buildRequest: (request, deploymentName) =>
      legacy ? buildOpenAICompletionBody(request, deploymentName, dialect) : buildOpenAIChatBody(request, deploymentName, dialect),
    send: (plan, _request, call) => postOpenAI(endpoint, endpoint.url(api, call.deploymentName), plan.body, call.signal),
    readAnswer: (response, call) => readJson(response, call.signal, type, endpoint.limits) as Promise<OpenAICompletionLike>,
    readFrames: (response, call) => openAIStreamReads(response, call.signal, endpoint.limits, type),
    translator: () => new OpenAIResponseTranslator(rewriteEvents?.() ?? null),
    describeFailure: (error) => describeOpenAIFailure(type, error),
  });
}

/** One request's answer → our events, through the provider's rewrite if it has one. */
class OpenAIResponseTranslator implements ResponseTranslator<OpenAICompletionLike, OpenAIChunkLike> {
  private readonly stream = new OpenAIStreamTranslator();

  constructor(private readonly rewrite: EventRewrite | null) {}

  answer(answer: OpenAICompletionLike, out: AdapterEvent[]): void {
    this.push(openAICompletionToEvents(answer), out);
  }

  frame(chunk: OpenAIChunkLike, out: AdapterEvent[]): void {
    this.push(this.stream.translate(chunk), out);
  }

  private push(events: readonly AdapterEvent[], out: AdapterEvent[]): void {
    const rewrite = this.rewrite;
    for (let i = 0; i < events.length; i++) out.push(rewrite ? rewrite.apply(events[i]!) : events[i]!);
  }
}

/** Sends the request; a non-2xx answer is thrown as the SDK's `APIError` for its status. */
export async function postOpenAI(endpoint: OpenAIEndpoint, url: string, body: unknown, signal: AbortSignal): Promise<Response> {
  // Serialised before the send: a failure here is ours, not the connection's.
  const json = JSON.stringify(body);
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: endpoint.headers,
      body: json,
      signal,
      redirect: endpoint.redirect,
    });
  } catch (error) {
    if (signal.aborted) throw new APIUserAbortError();
    throw new APIConnectionError({ cause: error instanceof Error ? error : new Error(String(error)) });
  }
  if (response.ok) return response;
  const text = await readErrorText(response, endpoint.limits).catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
  throw statusError(response.status, text, response.headers);
}

/** As the SDK builds it: the JSON body (wrapped as `{error}` when it has none), else the text. */
function statusError(status: number, text: string, headers: Headers): APIError {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {}
  const wrapped = json && typeof json === "object" && (json as { error?: unknown }).error == null ? { error: json } : json;
  return APIError.generate(status, wrapped as object | undefined, json ? undefined : text, headers);
}

async function readJson(response: Response, signal: AbortSignal, providerType: string, limits: UpstreamLimits): Promise<unknown> {
  try {
    return await readJsonWithin(response, providerType, limits);
  } catch (error) {
    if (signal.aborted) throw new APIUserAbortError();
    throw error;
  }
}

/**
 * The stream's chunks, parsed, a batch per read of the body, until `[DONE]` or the end of the
 * body. An `error` event, or a chunk with an `error` object, is thrown as the SDK's `APIError`
 * (status unknown: inside a 200) — after the chunks before it are yielded. The batch array is
 * reused: read it before asking for the next.
 */
export async function* openAIStreamReads(
  response: Response,
  signal: AbortSignal,
  limits: UpstreamLimits = upstreamLimits({}),
  source = "upstream",
): AsyncGenerator<readonly OpenAIChunkLike[], void, undefined> {
  const body = response.body;
  if (!body) return;
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser(limits.maxEventBytes, source);
  const messages: SseMessage[] = [];
  const chunks: OpenAIChunkLike[] = [];
  let finished = false;
  try {
    for (;;) {
      let read: Awaited<ReturnType<typeof reader.read>>;
      try {
        read = await reader.read();
      } catch (error) {
        if (signal.aborted) throw new APIUserAbortError();
        throw error;
      }
      if (read.done) {
        finished = true;
        return;
      }
      parser.feed(decoder.decode(read.value, { stream: true }), messages);
      chunks.length = 0;
      let failure: Error | null = null;
      let done = false;
      for (let i = 0; i < messages.length && !failure; i++) {
        const { event, data } = messages[i]!;
        if (data === "[DONE]") {
          done = true;
          break;
        }
        let chunk: OpenAIChunkLike & { error?: unknown };
        try {
          chunk = JSON.parse(data);
        } catch {
          failure = new SyntaxError("a server-sent event's data is not JSON");
          break;
        }
        if (event === "error") failure = new APIError(undefined, (chunk?.error ?? chunk) as object, undefined, response.headers);
        else if (chunk?.error) failure = new APIError(undefined, chunk.error as object, undefined, response.headers);
        else chunks.push(chunk);
      }
      messages.length = 0;
      if (chunks.length > 0) yield chunks;
      if (failure) throw failure;
      if (done) return;
    }
  } finally {
    // Stopped before the end (`[DONE]`, client gone, an error): release the connection.
    if (!finished) reader.cancel().catch(() => {});
  }
}
