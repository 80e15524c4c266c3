/**
 * The ceiling for any Bun gateway here: forwards the request body to the upstream with `fetch`
 * and returns the upstream's body as a stream, parsing nothing.
 *
 * `UPSTREAM=http://127.0.0.1:<port> PORT=0 bun scripts/bench/bare-proxy.ts` prints `port=<n>`.
 */
const upstream = process.env.UPSTREAM ?? "http://127.0.0.1:8081";
const target = `${upstream}/v1/chat/completions`;

const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: "127.0.0.1",
  idleTimeout: 0,
  async fetch(request) {
    const answer = await fetch(target, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer bench" },
      body: await request.arrayBuffer(),
      signal: request.signal,
    });
    return new Response(answer.body, {
      status: answer.status,
      headers: { "content-type": answer.headers.get("content-type") ?? "application/octet-stream" },
    });
  },
});
console.log(`port=${server.port}`);
