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

import { STREAM_CONTENT_CHUNKS, jsonBody, sseBody, sseEvents } from "./fake-answers";

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
