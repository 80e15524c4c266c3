/**
 * Connections that hold a file descriptor and do nothing are closed: an idle keep-alive
 * connection, a body that stops arriving. A completion that is quiet for long (a model thinking,
 * as JSON or as a stream) is not.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { connect } from "node:net";
import { startFakeUpstream, type FakeUpstream } from "../fakes/fake-upstream";
import { readNdjson } from "../support/ndjson";
import { startService, type Harness } from "../support/service-harness";

const IDLE_S = 1;
const QUIET_MS = 6000;

let svc: Harness;
let upstream: FakeUpstream;
beforeAll(async () => {
  // An OpenAI-style upstream that thinks for QUIET_MS: before its JSON answer, or after the
  // first chunk of its stream.
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "gpt-4o", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  upstream = await startFakeUpstream((request) =>
    request.body?.stream
      ? {
          status: 200,
          headers: { "content-type": "text/event-stream" },
          body: [
            { write: chunk({ role: "assistant", content: "let me think" }, null) },
            { delayMs: QUIET_MS },
            { write: `${chunk({ content: "… done" }, "stop")}data: [DONE]\n\n` },
          ],
        }
      : {
          status: 200,
          headers: { "content-type": "application/json" },
          body: [
            { delayMs: QUIET_MS },
            {
              write: JSON.stringify({
                id: "chatcmpl-1",
                object: "chat.completion",
                created: 1,
                model: "gpt-4o",
                choices: [{ index: 0, message: { role: "assistant", content: "thought it over" }, finish_reason: "stop" }],
                usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
              }),
            },
          ],
        },
  );
  svc = await startService({
    env: { HTTP_IDLE_TIMEOUT_S: String(IDLE_S) },
    mapping: {
      providers: { slow: { type: "openai", apiKey: "k", baseUrl: `${upstream.url}/v1` }, demo: { type: "mock" } },
      models: {
        slow: { strategy: "fallback", targets: [{ provider: "slow", deploymentName: "gpt-4o" }] },
        demo: { strategy: "fallback", targets: [{ provider: "demo", deploymentName: "demo" }] },
      },
    },
  });
});
afterAll(async () => {
  await svc.stop();
  await upstream.close();
});

/** Opens a raw connection, writes `data`; resolves with what came back and when the server closed it (null: still open at `waitMs`). */
function rawExchange(data: string, waitMs: number): Promise<{ received: string; closedAfterMs: number | null }> {
  return new Promise((resolve) => {
    const started = performance.now();
    let received = "";
    const socket = connect(Number(new URL(svc.url).port), "127.0.0.1", () => socket.write(data));
    socket.on("data", (bytes) => (received += bytes.toString()));
    socket.on("error", () => {});
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ received, closedAfterMs: null });
    }, waitMs);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ received, closedAfterMs: performance.now() - started });
    });
  });
}

test("an idle keep-alive connection is closed after the idle limit", async () => {
  const { received, closedAfterMs } = await rawExchange("GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n", 8000);
  expect(received).toStartWith("HTTP/1.1 200");
  expect(closedAfterMs).not.toBeNull();
  expect(closedAfterMs!).toBeLessThan(6000);
}, 15_000);

test("after a stream ends, its keep-alive connection has the idle limit again", async () => {
  const body = JSON.stringify({ model: "demo", stream: true, messages: [{ role: "user", content: "hi" }] });
  const request = `POST /api/v1/completions HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
  const { received, closedAfterMs } = await rawExchange(request, 8000);
  expect(received).toContain('"type":"finish"');
  expect(received).toEndWith("0\r\n\r\n");
  expect(closedAfterMs).not.toBeNull();
  expect(closedAfterMs!).toBeLessThan(6000);
}, 15_000);

test("a body that never finishes arriving is cut", async () => {
  const head = "POST /api/v1/completions HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n";
  const { closedAfterMs } = await rawExchange(`${head}{"model":"slow",`, 8000);
  expect(closedAfterMs).not.toBeNull();
  expect(closedAfterMs!).toBeLessThan(6000);
}, 15_000);

test("a stream quiet for longer than the idle limit is not cut", async () => {
  const res = await svc.post({ model: "slow", stream: true, messages: [{ role: "user", content: "take your time" }] });
  expect(res.status).toBe(200);
  const lines = await readNdjson(res);
  expect(lines.map((l) => l.type)).toEqual(["text_delta_start", "text_delta", "text_delta_end", "usage", "finish"]);
  expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "stop" });
}, 20_000);

test("a JSON answer that takes longer than the idle limit is not cut", async () => {
  const res = await svc.post({ model: "slow", messages: [{ role: "user", content: "take your time" }] });
  expect(res.status).toBe(200);
  expect(((await res.json()) as any).outputText).toBe("thought it over");
}, 20_000);
