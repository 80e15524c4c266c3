/**
 * The benchmark's fake OpenAI upstream: as little work as a server can do. Every answer is
 * precomputed bytes; the only per-request work is reading the body and one substring test.
 *
 * - JSON: one chat completion.
 * - Stream (`"stream":true` in the body): 20 content chunks, a finish chunk, the usage chunk and
 *   `[DONE]`, written at once.
 * - Slow stream (deployment `slow`): the same chunks, one every `SLOW_CHUNK_MS` (1000), for holding
 *   thousands of streams open.
 *
 * Run by `scripts/bench.ts`: `PORT=0 bun scripts/bench/fake-upstream.ts` prints `port=<n>`.
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
const sseEvents = events.map((e) => encoder.encode(`data: ${e}\n\n`));
const sseBody = encoder.encode(events.map((e) => `data: ${e}\n\n`).join(""));
const jsonBody = encoder.encode(
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

const sseHeaders = { "content-type": "text/event-stream" };
const jsonHeaders = { "content-type": "application/json" };
const slowChunkMs = Number(process.env.SLOW_CHUNK_MS ?? 1000);

function slowStream(): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (i > 0) await Bun.sleep(slowChunkMs);
        controller.enqueue(sseEvents[i]!);
        // The finish, usage and [DONE] events go together after the last content chunk.
        if (++i === STREAM_CONTENT_CHUNKS) {
          for (; i < sseEvents.length; i++) controller.enqueue(sseEvents[i]!);
          controller.close();
        }
      },
    },
    { highWaterMark: 0 },
  );
}

const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: "127.0.0.1",
  idleTimeout: 0,
  async fetch(request) {
    const body = await request.text();
    if (!body.includes('"stream":true')) return new Response(jsonBody, { headers: jsonHeaders });
    if (body.includes('"model":"slow"')) return new Response(slowStream(), { headers: sseHeaders });
    return new Response(sseBody, { headers: sseHeaders });
  },
});
console.log(`port=${server.port}`);
