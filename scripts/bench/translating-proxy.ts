/**
 * The floor for a gateway that keeps our contract: the least work that turns the upstream's
 * OpenAI answer into the contract's — the request body parsed and a new one written, the SSE
 * stream parsed, every chunk's JSON parsed and one NDJSON line written per delta — and nothing
 * else (no validation, routing, timeouts, usage events, logs or metrics). What the service costs
 * above it is the cost of those.
 *
 * `UPSTREAM=http://127.0.0.1:<port> PORT=0 bun scripts/bench/translating-proxy.ts` prints `port=<n>`.
 */
import { SseParser, type SseMessage } from "../../src/providers/wire/sse-parser";

const upstream = process.env.UPSTREAM ?? "http://127.0.0.1:8081";
const target = `${upstream}/v1/chat/completions`;
const headers = { "content-type": "application/json", authorization: "Bearer bench" };
const encoder = new TextEncoder();

interface Chunk {
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
}

const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: "127.0.0.1",
  idleTimeout: 0,
  async fetch(request) {
    const ours = (await request.json()) as { messages: unknown; stream?: boolean };
    const stream = ours.stream === true;
    const answer = await fetch(target, {
      method: "POST",
      headers,
      body: JSON.stringify({
        model: "gpt-4o-mini",
        messages: ours.messages,
        stream,
        ...(stream && { stream_options: { include_usage: true } }),
      }),
      signal: request.signal,
    });
    if (!stream) {
      const c = (await answer.json()) as {
        choices: { message: { content: string }; finish_reason: string }[];
        usage: { prompt_tokens: number; completion_tokens: number };
      };
      return Response.json({
        outputText: c.choices[0]!.message.content,
        usage: { inputTokens: c.usage.prompt_tokens, outputTokens: c.usage.completion_tokens },
        finishReason: c.choices[0]!.finish_reason,
      });
    }
    const reader = answer.body!.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    const messages: SseMessage[] = [];
    let started = false;
    return new Response(
      new ReadableStream<Uint8Array>({
        async pull(controller) {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return controller.close();
            parser.feed(decoder.decode(value, { stream: true }), messages);
            let out = "";
            for (const m of messages) {
              if (m.data === "[DONE]") continue;
              const chunk = JSON.parse(m.data) as Chunk;
              const choice = chunk.choices?.[0];
              const text = choice?.delta?.content;
              if (text) {
                out += `${JSON.stringify({ type: started ? "text_delta" : "text_delta_start", content: text })}\n`;
                started = true;
              }
              if (choice?.finish_reason) out += `${JSON.stringify({ type: "text_delta_end", content: "" })}\n`;
              if (chunk.usage) {
                out += `${JSON.stringify({ type: "usage", inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens })}\n`;
                out += `${JSON.stringify({ type: "finish", finishReason: "stop" })}\n`;
              }
            }
            messages.length = 0;
            if (out) return controller.enqueue(encoder.encode(out));
          }
        },
      }),
      { headers: { "content-type": "application/x-ndjson" } },
    );
  },
});
console.log(`port=${server.port}`);
process.on("SIGTERM", () => process.exit(0));
