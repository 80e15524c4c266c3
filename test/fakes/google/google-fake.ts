/**
 * A fake Gemini API upstream that speaks the wire format byte for byte
 * (docs/providers-google.md): `POST /v1beta/models/{model}:generateContent` and
 * `:streamGenerateContent?alt=sse`, auth by `x-goog-api-key`, SSE `data:` events framed with
 * `\r\n\r\n` and no `[DONE]`, cumulative `usageMetadata` on every chunk, the finish reason on a
 * last chunk with an empty text part, whole `functionCall` parts with thought signatures, blocked
 * prompts as `promptFeedback`, Google's error bodies, and a bare `{"error":…}` object mid-stream.
 * Run standalone: `bun test/fakes/google/google-fake.ts`.
 */
import {
  jsonResponse,
  sseData,
  startFakeUpstream,
  type FakeUpstream,
  type RecordedRequest,
  type ScriptedResponse,
  type Step,
} from "../fake-upstream";

export type GeminiPart = Record<string, unknown>;

export interface GoogleAnswer {
  /** The parts of each streamed chunk (a JSON answer holds them all in one candidate). */
  chunks?: GeminiPart[][];
  /** Shorthand for chunks of one text part each. */
  text?: string[];
  /** Default `STOP`; `null` ends the stream with no finish reason at all. */
  finishReason?: string | null;
  finishMessage?: string;
  /** The signature Gemini 3 puts on the empty text part of the last chunk. */
  finalSignature?: string;
  usage?: { prompt: number; candidates: number; thoughts?: number; cached?: number };
  /** The prompt is refused: one response with `promptFeedback` and no candidates. */
  blockReason?: string;
  /** After the content: Google's bare error object, not framed as an SSE event. */
  midStreamError?: { code: number; message: string; status: string };
  /** After the content: drop the connection. */
  resetAfterContent?: boolean;
  /** After the content: stop sending, keep the connection open. */
  hangAfterContent?: boolean;
  /** Pause before each chunk. */
  chunkDelayMs?: number;
  /** A raw, non-JSON `data:` payload sent after the first chunk. */
  malformedChunk?: string;
}

const MODEL_VERSION = "gemini-2.5-flash";
const RESPONSE_ID = "bH6LaZW8Fp_3nsEPqtaSwQ4";
const CRLF = "\r\n";

export function googleError(
  status: number,
  statusText: string,
  message: string,
  details?: unknown[],
  headers: Record<string, string> = {},
): ScriptedResponse {
  return jsonResponse(
    status,
    { error: { code: status, message, status: statusText, ...(details && { details }) } },
    {
      "content-type": "application/json; charset=UTF-8",
      ...headers,
    },
  );
}

/** Google leaves zero counts out of `usageMetadata`. */
function usageMetadata(u: NonNullable<GoogleAnswer["usage"]>, candidates: number) {
  const meta: Record<string, unknown> = { promptTokenCount: u.prompt };
  if (candidates) meta.candidatesTokenCount = candidates;
  meta.totalTokenCount = u.prompt + candidates + (u.thoughts ?? 0);
  meta.promptTokensDetails = [{ modality: "TEXT", tokenCount: u.prompt }];
  if (u.thoughts) meta.thoughtsTokenCount = u.thoughts;
  if (u.cached) meta.cachedContentTokenCount = u.cached;
  return meta;
}

function envelope(body: Record<string, unknown>) {
  return { ...body, modelVersion: MODEL_VERSION, responseId: RESPONSE_ID };
}

export function googleResponse(request: RecordedRequest, answer: GoogleAnswer): ScriptedResponse {
  const streaming = request.url.includes(":streamGenerateContent");
  const chunks: GeminiPart[][] = answer.chunks ?? (answer.text ?? []).map((t) => [{ text: t }]);
  const finishReason = answer.finishReason === undefined ? "STOP" : answer.finishReason;
  const usage = answer.usage;

  if (answer.blockReason) {
    const blocked = envelope({
      promptFeedback: {
        blockReason: answer.blockReason,
        safetyRatings: [{ category: "HARM_CATEGORY_DANGEROUS_CONTENT", probability: "HIGH" }],
      },
      ...(usage && { usageMetadata: usageMetadata(usage, 0) }),
    });
    if (!streaming) return jsonResponse(200, blocked);
    return { status: 200, headers: { "content-type": "text/event-stream" }, body: [{ write: sseData(blocked, CRLF) }] };
  }

  if (!streaming) {
    const parts: GeminiPart[] = [];
    for (const part of chunks.flat()) {
      const last = parts[parts.length - 1];
      // A JSON answer holds the text whole; streamed pieces of one kind are joined.
      if (
        last &&
        typeof last.text === "string" &&
        typeof part.text === "string" &&
        !last.thought === !part.thought &&
        !part.thoughtSignature
      ) {
        last.text += part.text as string;
      } else parts.push({ ...part });
    }
    if (answer.finalSignature) parts.push({ text: "", thoughtSignature: answer.finalSignature });
    const candidate: Record<string, unknown> = { content: { parts, role: "model" }, index: 0 };
    if (finishReason) candidate.finishReason = finishReason;
    if (answer.finishMessage) candidate.finishMessage = answer.finishMessage;
    return jsonResponse(
      200,
      envelope({ candidates: [candidate], ...(usage && { usageMetadata: usageMetadata(usage, usage.candidates) }) }),
    );
  }

  const steps: Step[] = [];
  const push = (payload: unknown) => {
    if (answer.chunkDelayMs) steps.push({ delayMs: answer.chunkDelayMs });
    steps.push({ write: sseData(payload, CRLF) });
  };
  const total = chunks.length;
  chunks.forEach((parts, i) => {
    const running = usage ? Math.round((usage.candidates * (i + 1)) / Math.max(total, 1)) : 0;
    push(
      envelope({
        candidates: [{ content: { parts, role: "model" }, index: 0 }],
        ...(usage && { usageMetadata: usageMetadata(usage, running) }),
      }),
    );
    if (i === 0 && answer.malformedChunk) steps.push({ write: sseData(answer.malformedChunk, CRLF) });
  });
  const stream = (body: Step[]): ScriptedResponse => ({
    status: 200,
    headers: { "content-type": "text/event-stream", "x-content-type-options": "nosniff" },
    body,
  });
  if (answer.midStreamError) {
    // Let the content reach the client first, as a real failure would come later.
    steps.push({ delayMs: 50 }, { write: `${JSON.stringify({ error: answer.midStreamError }, null, 2)}\n` });
    return stream(steps);
  }
  if (answer.resetAfterContent) {
    steps.push({ delayMs: 50 }, { reset: true });
    return stream(steps);
  }
  if (answer.hangAfterContent) {
    steps.push({ hang: true });
    return stream(steps);
  }
  if (finishReason) {
    const last: GeminiPart = { text: "" };
    if (answer.finalSignature) last.thoughtSignature = answer.finalSignature;
    const candidate: Record<string, unknown> = { content: { parts: [last], role: "model" }, finishReason, index: 0 };
    if (answer.finishMessage) candidate.finishMessage = answer.finishMessage;
    push(envelope({ candidates: [candidate], ...(usage && { usageMetadata: usageMetadata(usage, usage.candidates) }) }));
  }
  return stream(steps);
}

export interface GoogleFakeOptions {
  apiKey?: string;
  apiVersion?: string;
  /** The answer for each request; default says "Hello from the fake". */
  answer?: (request: RecordedRequest) => GoogleAnswer | ScriptedResponse;
  port?: number;
}

function isScripted(answer: GoogleAnswer | ScriptedResponse): answer is ScriptedResponse {
  return "status" in answer || "body" in answer || "resetBeforeHeaders" in answer || "hangBeforeHeaders" in answer;
}

/** What Gemini refuses in a request body (the part a gateway can get wrong); `null` when fine. */
export function geminiRequestProblem(body: any): ScriptedResponse | null {
  const declared =
    Array.isArray(body?.tools) && body.tools.some((t: any) => Array.isArray(t?.functionDeclarations) && t.functionDeclarations.length > 0);
  if (body?.toolConfig?.functionCallingConfig && !declared) {
    return googleError(400, "INVALID_ARGUMENT", "Function calling config is set without function_declarations.");
  }
  return null;
}

const PATH = /^\/([^/]+)\/models\/([^/:?]+):(generateContent|streamGenerateContent)(\?.*)?$/;

export async function startGoogleFake(
  options: GoogleFakeOptions = {},
): Promise<FakeUpstream & { answer(fn: NonNullable<GoogleFakeOptions["answer"]>): void }> {
  let answerFn = options.answer ?? (() => ({ text: ["Hello", " from", " the fake"], usage: { prompt: 9, candidates: 4 } }));
  const apiVersion = options.apiVersion ?? "v1beta";
  const fake = await startFakeUpstream((req) => {
    const match = PATH.exec(req.url);
    if (req.method !== "POST" || !match || match[1] !== apiVersion) {
      return googleError(404, "NOT_FOUND", `The requested URL ${req.url} was not found on this server.`);
    }
    if (match[3] === "streamGenerateContent" && match[4] !== "?alt=sse") {
      return googleError(400, "INVALID_ARGUMENT", "This fake only streams with alt=sse.");
    }
    const key = req.headers["x-goog-api-key"];
    if (!key) {
      return googleError(
        403,
        "PERMISSION_DENIED",
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
      );
    }
    if (options.apiKey && key !== options.apiKey) {
      return googleError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [
        {
          "@type": "type.googleapis.com/google.rpc.ErrorInfo",
          reason: "API_KEY_INVALID",
          domain: "googleapis.com",
          metadata: { service: "generativelanguage.googleapis.com" },
        },
      ]);
    }
    const problem = geminiRequestProblem(req.body);
    if (problem) return problem;
    const answer = answerFn(req);
    return isScripted(answer) ? answer : googleResponse(req, answer);
  }, options.port);
  return Object.assign(fake, {
    answer(fn: NonNullable<GoogleFakeOptions["answer"]>) {
      answerFn = fn;
    },
  });
}

if (import.meta.main) {
  const fake = await startGoogleFake({ port: Number(process.env.PORT ?? 8082) });
  console.log(`fake Gemini API upstream on ${fake.url} (any API key; mapping: {"type":"google","apiKey":"x","baseUrl":"${fake.url}"})`);
}
