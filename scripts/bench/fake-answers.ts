/**
 * The benchmark upstream's answers, as precomputed bytes: an OpenAI chat completion, and its
 * stream (20 content chunks, a finish chunk, the usage chunk and `[DONE]`). Served over HTTP by
 * `fake-upstream.ts`, handed straight to the adapter by `in-process.ts`.
 */

export const STREAM_CONTENT_CHUNKS = 20;

const created = 1770933892;
const head = { id: "chatcmpl-bench", object: "chat.completion.chunk", created, model: "gpt-4o-mini", system_fingerprint: "fp_bench" };
const words = Array.from({ length: STREAM_CONTENT_CHUNKS }, (_, i) => (i === 0 ? "Word" : ` word${i}`));
const usage = {
  prompt_tokens: 12,
  completion_tokens: STREAM_CONTENT_CHUNKS,
  total_tokens: 12 + STREAM_CONTENT_CHUNKS,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
};

const events: string[] = [
  ...words.map((content, i) =>
    JSON.stringify({
      ...head,
      choices: [{ index: 0, delta: i === 0 ? { role: "assistant", content } : { content }, logprobs: null, finish_reason: null }],
      usage: null,
    }),
  ),
  JSON.stringify({ ...head, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }], usage: null }),
  JSON.stringify({ ...head, choices: [], usage }),
  "[DONE]",
];
const encoder = new TextEncoder();
export const sseEvents = events.map((e) => encoder.encode(`data: ${e}\n\n`));
export const sseBody = encoder.encode(events.map((e) => `data: ${e}\n\n`).join(""));
export const jsonBody = encoder.encode(
  JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion",
    created,
    model: "gpt-4o-mini",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: words.join(""), refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: "stop",
      },
    ],
    usage,
    service_tier: "default",
    system_fingerprint: "fp_bench",
  }),
);
