/**
 * A fake Ollama, byte-faithful to the native `POST /api/chat` (docs/providers-mistral-ollama.md):
 * NDJSON (`application/x-ndjson`), one JSON object per `\n`-terminated line, no `data:` and no
 * `[DONE]`; tool calls whole in a `done:false` line; a final `done:true` line with `done_reason`
 * and the counts; `{"error":"…"}` bodies and mid-stream error lines. It streams unless the
 * request says `"stream": false`, as Ollama does, and can split a line across two writes (inside
 * a UTF-8 character when there is one).
 *
 * It checks what Ollama's Go decoder would refuse: tool arguments that are not objects, and
 * images that are not raw base64.
 */
import {
  jsonResponse,
  startFakeUpstream,
  type FakeUpstream,
  type RecordedRequest,
  type ScriptedResponse,
  type Step,
} from "../fake-upstream";

export interface OllamaFakeToolCall {
  /** Current Ollama sends `call_` + 8 characters and `function.index`; old versions neither. */
  id?: string;
  name: string;
  arguments: Record<string, unknown>;
}

export interface OllamaAnswer {
  text?: string[];
  thinking?: string[];
  /** Sent together in one `done:false` line, as Ollama does. */
  toolCalls?: OllamaFakeToolCall[];
  /** Leave out `id` and `function.index` (older Ollama). */
  legacyToolCalls?: boolean;
  doneReason?: string;
  /** `null` leaves the field out (Ollama's `omitempty`). */
  promptEvalCount?: number | null;
  evalCount?: number | null;
  /** Write every line in two pieces, split in its middle. */
  splitLines?: boolean;
  /** After the content: an `{"error":…}` line, then the end of the body. */
  midStreamError?: string;
  /** After the content: drop the connection. */
  resetAfterContent?: boolean;
  /** Leave out the final `done:true` line. */
  omitDone?: boolean;
  chunkDelayMs?: number;
}

const CREATED_AT = "2025-07-07T20:22:19.184789Z";
const encoder = new TextEncoder();

export function ollamaError(status: number, error: string): ScriptedResponse {
  return jsonResponse(status, { error }, { "content-type": "application/json; charset=utf-8" });
}

/** What Ollama refuses before answering; null when it would accept the request. */
export function ollamaRequestProblem(body: any, models?: string[]): ScriptedResponse | null {
  if (!body || typeof body !== "object") return ollamaError(400, "missing request body");
  if (models && !models.includes(body.model)) return ollamaError(404, `model "${body.model}" not found, try pulling it first`);
  for (const m of body.messages ?? []) {
    for (const c of m.tool_calls ?? []) {
      const args = c.function?.arguments;
      if (typeof args !== "object" || args === null || Array.isArray(args)) {
        return ollamaError(
          400,
          `json: cannot unmarshal ${Array.isArray(args) ? "array" : typeof args} into Go struct field ToolCallFunction.messages.tool_calls.function.arguments of type api.ToolCallFunctionArguments`,
        );
      }
    }
    for (const image of m.images ?? []) {
      if (typeof image !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(image))
        return ollamaError(400, "illegal base64 data at input byte 4");
    }
  }
  return null;
}

function splitInTwo(line: string): Uint8Array[] {
  const bytes = encoder.encode(line);
  // Prefer a cut inside a multi-byte character: the hardest place for a decoder.
  let cut = Math.floor(bytes.length / 2);
  for (let i = 1; i < bytes.length; i++) {
    if ((bytes[i]! & 0xc0) === 0x80) {
      cut = i;
      break;
    }
  }
  return [bytes.subarray(0, cut), bytes.subarray(cut)];
}

export function ollamaChatResponse(request: RecordedRequest, answer: OllamaAnswer): ScriptedResponse {
  const body = request.body ?? {};
  const model = body.model ?? "llama3.2";
  const calls = answer.toolCalls?.map((c, index) =>
    answer.legacyToolCalls
      ? { function: { name: c.name, arguments: c.arguments } }
      : { id: c.id ?? `call_${index}k3j9x0q`.slice(0, 13), function: { index, name: c.name, arguments: c.arguments } },
  );
  const counts = {
    total_duration: 4883583458,
    load_duration: 1334875,
    ...(answer.promptEvalCount !== null && { prompt_eval_count: answer.promptEvalCount ?? 26 }),
    prompt_eval_duration: 342546000,
    ...(answer.evalCount !== null && { eval_count: answer.evalCount ?? 282 }),
    eval_duration: 4535599000,
  };
  const doneReason = answer.doneReason ?? "stop";

  if (body.stream === false) {
    const message: Record<string, unknown> = { role: "assistant", content: (answer.text ?? []).join("") };
    if (answer.thinking?.length) message.thinking = answer.thinking.join("");
    if (calls?.length) message.tool_calls = calls;
    return jsonResponse(
      200,
      { model, created_at: CREATED_AT, message, done_reason: doneReason, done: true, ...counts },
      {
        "content-type": "application/json; charset=utf-8",
      },
    );
  }

  const steps: Step[] = [];
  const line = (obj: unknown) => {
    if (answer.chunkDelayMs) steps.push({ delayMs: answer.chunkDelayMs });
    const text = `${JSON.stringify(obj)}\n`;
    if (answer.splitLines) {
      const [a, b] = splitInTwo(text);
      steps.push({ write: a! }, { delayMs: 5 }, { write: b! });
    } else steps.push({ write: text });
  };
  const partial = (message: Record<string, unknown>) =>
    line({ model, created_at: CREATED_AT, message: { role: "assistant", ...message }, done: false });
  for (const piece of answer.thinking ?? []) partial({ content: "", thinking: piece });
  for (const piece of answer.text ?? []) partial({ content: piece });
  if (calls?.length) partial({ content: "", tool_calls: calls });
  if (answer.midStreamError) line({ error: answer.midStreamError });
  else if (answer.resetAfterContent) steps.push({ delayMs: 50 }, { reset: true });
  else if (!answer.omitDone)
    line({ model, created_at: CREATED_AT, message: { role: "assistant", content: "" }, done_reason: doneReason, done: true, ...counts });
  return { status: 200, headers: { "content-type": "application/x-ndjson" }, body: steps };
}

export interface OllamaFakeOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (Ollama behind a proxy). */
  apiKey?: string;
  /** Pulled models; others get Ollama's 404. Any model when unset. */
  models?: string[];
  answer?: (request: RecordedRequest) => OllamaAnswer | ScriptedResponse;
  port?: number;
}

export type OllamaFake = FakeUpstream & { answer(fn: NonNullable<OllamaFakeOptions["answer"]>): void };

export async function startOllamaFake(options: OllamaFakeOptions = {}): Promise<OllamaFake> {
  let answerFn = options.answer ?? (() => ({ text: ["Hello", " from", " the fake"], promptEvalCount: 9, evalCount: 4 }));
  const fake = await startFakeUpstream((req) => {
    if (req.method !== "POST" || req.url !== "/api/chat")
      return { status: 404, headers: { "content-type": "text/plain" }, body: "404 page not found" };
    if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) return ollamaError(401, "unauthorized");
    const problem = ollamaRequestProblem(req.body, options.models);
    if (problem) return problem;
    const answer = answerFn(req);
    return isScripted(answer) ? answer : ollamaChatResponse(req, answer);
  }, options.port);
  return Object.assign(fake, {
    answer(fn: NonNullable<OllamaFakeOptions["answer"]>) {
      answerFn = fn;
    },
  });
}

function isScripted(answer: OllamaAnswer | ScriptedResponse): answer is ScriptedResponse {
  return "status" in answer || "body" in answer || "hangBeforeHeaders" in answer || "resetBeforeHeaders" in answer;
}

if (import.meta.main) {
  const fake = await startOllamaFake({ port: Number(process.env.PORT ?? 11434) });
  console.log(`fake Ollama on ${fake.url}`);
}
