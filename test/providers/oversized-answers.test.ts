/**
 * An upstream that never stops sending — an endless JSON answer, an SSE event (or NDJSON line, or
 * event-stream frame) without end — or that sends a huge error page is read only up to a bound:
 * the attempt fails with a clear `upstream_error`, the upstream body is cancelled, and a huge
 * error page becomes a short message, log line and usage event. For every provider path: our own
 * readers (OpenAI family, Ollama) and the official SDKs (Anthropic, Google, Mistral, Bedrock).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { providersAt } from "../support/provider-at";
import { startService, type Harness } from "../support/service-harness";
import { createLogger } from "../../src/observability/logger";

const KB = 1024;
const MAX_RESPONSE = 256 * KB;
const MAX_EVENT = 128 * KB;
const user = [{ role: "user", content: "Hi" }];

type Mode = "endless-json" | "endless-event" | "huge-error";
let mode: Mode = "endless-json";
/** Bodies the hostile upstream started, and how many of them its client cancelled. */
let started = 0;
let cancelled = 0;

/** 64 KiB pieces of `text`, forever, until the reader cancels. */
function endless(prefix: Uint8Array, piece: string): ReadableStream<Uint8Array> {
  started++;
  const bytes = new TextEncoder().encode(piece.repeat(Math.ceil((64 * KB) / piece.length)));
  let first = true;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(first ? prefix : bytes);
      first = false;
    },
    cancel() {
      cancelled++;
    },
  });
}

/** An event-stream frame header declaring a 2 GB frame (Bedrock's framing: total length first). */
const HUGE_FRAME = new Uint8Array([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

function hostile(request: Request): Response {
  const url = new URL(request.url);
  const streaming =
    url.pathname.endsWith("-with-response-stream") || url.pathname.includes(":stream") || url.searchParams.get("alt") === "sse";
  if (mode === "huge-error") {
    const page = `<html><body>${"Internal error. ".repeat((10 * 1024 * KB) / 16)}</body></html>`;
    return new Response(page, { status: 500, headers: { "content-type": "text/html" } });
  }
  const encoder = new TextEncoder();
  if (mode === "endless-json")
    return new Response(endless(encoder.encode("{"), "  \n"), { headers: { "content-type": "application/json" } });
  if (url.pathname.startsWith("/model/")) {
    return new Response(endless(HUGE_FRAME, "x"), { headers: { "content-type": "application/vnd.amazon.eventstream" } });
  }
  if (url.pathname === "/api/chat")
    return new Response(endless(encoder.encode('{"message":"'), "x"), { headers: { "content-type": "application/x-ndjson" } });
  void streaming;
  return new Response(endless(encoder.encode('data: {"x":"'), "x"), { headers: { "content-type": "text/event-stream" } });
}

const PROVIDERS = providersAt(["openai", "anthropic", "google", "mistral", "ollama", "anthropic_bedrock"]);

let upstream: Server<undefined>;
let svc: Harness;
const logLines: string[] = [];

beforeAll(async () => {
  upstream = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: hostile });
  const url = `http://127.0.0.1:${upstream.port}`;
  const providers: Record<string, unknown> = {};
  const models: Record<string, unknown> = {};
  for (const [type, provider] of Object.entries(PROVIDERS)) {
    providers[type] = { ...provider(url), maxRetries: 0, maxResponseBytes: MAX_RESPONSE, maxEventBytes: MAX_EVENT };
    models[type] = { targets: [{ provider: type, deploymentName: "some-model" }] };
  }
  svc = await startService({ mapping: { providers, models }, logger: createLogger("debug", {}, (line) => logLines.push(line)) });
}, 30_000); // six SDKs to load
afterAll(async () => {
  await svc.stop();
  upstream.stop(true);
});

async function waitForCancel(): Promise<void> {
  for (let i = 0; i < 100 && cancelled < started; i++) await Bun.sleep(10);
}

for (const type of Object.keys(PROVIDERS)) {
  describe(type, () => {
    test("an endless JSON answer fails at maxResponseBytes, and its body is cancelled", async () => {
      mode = "endless-json";
      const res = await svc.post({ model: type, messages: user });
      expect(await res.json()).toMatchObject({ code: "upstream_error", message: `${type} answer exceeds ${MAX_RESPONSE} bytes` });
      expect(res.status).toBe(502);
      await waitForCancel();
      expect(cancelled).toBe(started);
    });

    test("an endless stream event fails at maxEventBytes, and its body is cancelled", async () => {
      mode = "endless-event";
      const res = await svc.post({ model: type, messages: user, stream: true });
      expect(await res.json()).toMatchObject({
        code: "upstream_error",
        message: `${type} answer exceeds ${MAX_EVENT} bytes in one stream event`,
      });
      expect(res.status).toBe(502);
      await waitForCancel();
      expect(cancelled).toBe(started);
    });

    for (const stream of [false, true]) {
      test(`a 10 MB error page (stream: ${stream}) becomes a short message, log line and usage event`, async () => {
        mode = "huge-error";
        const res = await svc.post({ model: type, messages: user, stream });
        expect(res.status).toBe(502);
        const body = await res.text();
        expect(body.length).toBeLessThan(4 * KB);
        expect(JSON.parse(body)).toMatchObject({ code: "upstream_error" });
        const requestId = res.headers.get("x-request-id")!;
        const event = await svc.sink.eventFor(requestId);
        expect(JSON.stringify(event).length).toBeLessThan(8 * KB);
        const lines = logLines.filter((l) => l.includes(requestId));
        expect(lines.length).toBeGreaterThan(0);
        for (const line of lines) expect(line.length).toBeLessThan(4 * KB);
      });
    }
  });
}
