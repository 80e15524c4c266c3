/**
 * A fake OpenAI chat-completions upstream that speaks the wire format byte for byte
 * (`../shared/providers/openai.md` §1): SSE `data:` events, the usage chunk only when
 * `stream_options.include_usage` is asked for, tool-call deltas joined by `index`, mid-stream
 * `{"error":…}` events, OpenAI's error bodies. Run standalone: `bun test/fakes/openai/openai-fake.ts`.
 */
import { jsonResponse, sseData, startFakeUpstream, type FakeUpstream, type RecordedRequest, type ScriptedResponse, type Step } from "../fake-upstream";

export interface FakeToolCall {
  id: string;
  name: string;
  /** Argument pieces, streamed one per chunk after the call's first fragment. */
  argumentPieces: string[];
}

export interface OpenAIAnswer {
  text?: string[];
  toolCalls?: FakeToolCall[];
  finishReason?: string;
  usage?: { prompt_tokens: number; completion_tokens: number; cached?: number; reasoning?: number };
  /** After the content: a `{"error":…}` event, then `[DONE]`. */
  midStreamError?: { message: string; type?: string };
  /** After the content: drop the connection. */
  resetAfterContent?: boolean;
  /** After the content: stop sending, keep the connection open. */
  hangAfterContent?: boolean;
  /** Leave out the final `[DONE]`. */
  omitDone?: boolean;
  /** Pause before each chunk. */
  chunkDelayMs?: number;
  /** A raw, non-JSON `data:` payload sent after the first content chunk. */
  malformedChunk?: string;
}

const MODEL = "gpt-4o-2024-08-06";

function usageObject(u: NonNullable<OpenAIAnswer["usage"]>) {
  return {
    prompt_tokens: u.prompt_tokens,
    completion_tokens: u.completion_tokens,
    total_tokens: u.prompt_tokens + u.completion_tokens,
    prompt_tokens_details: { cached_tokens: u.cached ?? 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: u.reasoning ?? 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

export function openAIError(status: number, message: string, type: string, code: string | null = null, headers: Record<string, string> = {}): ScriptedResponse {
  return jsonResponse(status, { error: { message, type, param: null, code } }, headers);
}

export function openAIChatResponse(request: RecordedRequest, answer: OpenAIAnswer): ScriptedResponse {
  const body = request.body ?? {};
  const model = body.model ?? MODEL;
  const finish = answer.finishReason ?? (answer.toolCalls?.length ? "tool_calls" : "stop");
  if (!body.stream) {
    const message: Record<string, unknown> = {
      role: "assistant",
      content: answer.text ? answer.text.join("") : null,
      refusal: null,
      annotations: [],
    };
    if (answer.toolCalls?.length) {
      message.tool_calls = answer.toolCalls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.argumentPieces.join("") } }));
    }
    return jsonResponse(200, {
      id: "chatcmpl-fake",
      object: "chat.completion",
      created: 1770933883,
      model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
      usage: answer.usage ? usageObject(answer.usage) : undefined,
      service_tier: "default",
      system_fingerprint: "fp_fake",
    });
  }

  const includeUsage = body.stream_options?.include_usage === true;
  const chunk = (delta: unknown, finishReason: string | null = null) => ({
    id: "chatcmpl-fake",
    object: "chat.completion.chunk",
    created: 1770933892,
    model,
    system_fingerprint: "fp_fake",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage && { usage: null }),
  });
  const steps: Step[] = [];
  const push = (payload: unknown) => {
    if (answer.chunkDelayMs) steps.push({ delayMs: answer.chunkDelayMs });
    steps.push({ write: sseData(payload) });
  };
  const text = answer.text ?? [];
  push(chunk(answer.toolCalls?.length && !text.length ? { role: "assistant", content: null } : { role: "assistant", content: "", refusal: null }));
  text.forEach((piece, i) => {
    push(chunk({ content: piece }));
    if (i === 0 && answer.malformedChunk) steps.push({ write: sseData(answer.malformedChunk) });
  });
  answer.toolCalls?.forEach((call, index) => {
    push(chunk({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] }));
    for (const piece of call.argumentPieces) push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
  });
  if (answer.midStreamError) {
    steps.push({ write: sseData({ error: { message: answer.midStreamError.message, type: answer.midStreamError.type ?? "server_error", param: null, code: null } }) });
    steps.push({ write: sseData("[DONE]") });
    return { status: 200, headers: { "content-type": "text/event-stream" }, body: steps };
  }
  if (answer.resetAfterContent) {
    // Let the content reach the client first, as a real connection drop would.
    steps.push({ delayMs: 50 }, { reset: true });
    return { status: 200, headers: { "content-type": "text/event-stream" }, body: steps };
  }
  if (answer.hangAfterContent) {
    steps.push({ hang: true });
    return { status: 200, headers: { "content-type": "text/event-stream" }, body: steps };
  }
  push(chunk({}, finish));
  if (includeUsage && answer.usage) {
    push({ id: "chatcmpl-fake", object: "chat.completion.chunk", created: 1770933892, model, system_fingerprint: "fp_fake", choices: [], usage: usageObject(answer.usage) });
  }
  if (!answer.omitDone) steps.push({ write: sseData("[DONE]") });
  return { status: 200, headers: { "content-type": "text/event-stream" }, body: steps };
}

export interface OpenAIFakeOptions {
  apiKey?: string;
  /** The answer for each request; default echoes "Hello from the fake". */
  answer?: (request: RecordedRequest) => OpenAIAnswer | ScriptedResponse;
  port?: number;
}

export async function startOpenAIFake(options: OpenAIFakeOptions = {}): Promise<FakeUpstream & { answer(fn: NonNullable<OpenAIFakeOptions["answer"]>): void }> {
  let answerFn = options.answer ?? (() => ({ text: ["Hello", " from", " the fake"], usage: { prompt_tokens: 9, completion_tokens: 4 } }));
  const fake = await startFakeUpstream((req) => {
    if (req.method !== "POST" || !req.url.startsWith("/v1/chat/completions")) {
      return openAIError(404, `Unknown request URL: ${req.method} ${req.url}`, "invalid_request_error", "unknown_url");
    }
    if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return openAIError(401, "Incorrect API key provided: sk-f***.", "invalid_request_error", "invalid_api_key");
    }
    const answer = answerFn(req);
    return "status" in answer || "body" in answer ? (answer as ScriptedResponse) : openAIChatResponse(req, answer as OpenAIAnswer);
  }, options.port);
  return Object.assign(fake, {
    answer(fn: NonNullable<OpenAIFakeOptions["answer"]>) {
      answerFn = fn;
    },
  });
}

if (import.meta.main) {
  const fake = await startOpenAIFake({ port: Number(process.env.PORT ?? 8081) });
  console.log(`fake OpenAI upstream on ${fake.url}/v1 (any API key)`);
}
