/**
 * A fake OpenAI chat-completions upstream that speaks the wire format byte for byte
 * (docs/providers-openai-compatible.md): SSE `data:` events, the usage chunk only when
 * `stream_options.include_usage` is asked for, tool-call deltas joined by `index`, mid-stream
 * `{"error":…}` events, OpenAI's error bodies. It is the `openai` flavour of the
 * OpenAI-compatible fake (`../openai-compatible/compatible-fake.ts`).
 * Run standalone: `bun test/fakes/openai/openai-fake.ts`.
 */
import type { FakeUpstream, RecordedRequest, ScriptedResponse } from "../fake-upstream";
import { compatibleResponse, QUIRKS, startCompatibleFake, type AnswerFn, type OpenAIAnswer } from "../openai-compatible/compatible-fake";

export { openAIError, type FakeToolCall, type OpenAIAnswer } from "../openai-compatible/compatible-fake";

export function openAIChatResponse(request: RecordedRequest, answer: OpenAIAnswer): ScriptedResponse {
  return compatibleResponse(QUIRKS.openai(), request, answer);
}

export interface OpenAIFakeOptions {
  apiKey?: string;
  /** The answer for each request; default echoes "Hello from the fake". */
  answer?: AnswerFn;
  port?: number;
}

export async function startOpenAIFake(options: OpenAIFakeOptions = {}): Promise<FakeUpstream & { answer(fn: AnswerFn): void }> {
  return startCompatibleFake(QUIRKS.openai({ apiKey: options.apiKey }), { answer: options.answer, port: options.port });
}

if (import.meta.main) {
  const fake = await startOpenAIFake({ port: Number(process.env.PORT ?? 8081) });
  console.log(`fake OpenAI upstream on ${fake.url}/v1 (any API key)`);
}
