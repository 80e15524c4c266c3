/**
 * Bodies built to hurt: nested deep, larger than the limit without saying so, or wrong in
 * 200,000 places. Each is refused quickly, in our error shape, and the service keeps answering.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DEMO_MAPPING } from "../../src/config/demo-mapping";
import { startService, type Harness } from "../support/service-harness";

let svc: Harness;
beforeAll(async () => {
  svc = await startService({ mapping: DEMO_MAPPING });
});
afterAll(() => svc.stop());

const ok = { model: "demo", messages: [{ role: "user", content: "hi" }] };

/** `{"a":{"a":…}}` nested `depth` levels, as text (JSON.stringify would overflow the stack). */
function nested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

/** A body sent in chunks with no Content-Length. */
function chunked(text: string, chunkBytes = 64 * 1024): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at + chunkBytes));
      at += chunkBytes;
    },
  });
}

function postChunked(body: string, chunkBytes?: number, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${svc.url}/api/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: chunked(body, chunkBytes),
  });
}

async function timedHealth(): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${svc.url}/api/v1/health`);
  await res.arrayBuffer();
  return performance.now() - started;
}

describe("nesting depth", () => {
  test("a context nested 10,000 deep is refused at once, naming the field, and other requests are not held up", async () => {
    const body = `{"model":"demo","messages":[{"role":"user","content":"hi"}],"context":${nested(10_000)}}`;
    const started = performance.now();
    const pending = svc.post(body);
    const healthMs = await timedHealth();
    const res = await pending;
    const elapsed = performance.now() - started;
    expect(res.status).toBe(400);
    const answer: any = await res.json();
    expect(answer.code).toBe("invalid_request");
    expect(answer.details).toHaveLength(1);
    expect(answer.details[0].field).toStartWith("context.a.a");
    expect(answer.details[0].field).toEndWith("…");
    expect(answer.details[0].message).toContain("deeper than 64 levels");
    expect(elapsed).toBeLessThan(1000);
    expect(healthMs).toBeLessThan(1000);
  });

  test("100,000 deep in context is refused, not accepted and accounted", async () => {
    const before = svc.sink.events.length;
    const res = await svc.post(`{"model":"demo","messages":[{"role":"user","content":"hi"}],"context":${nested(100_000)}}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).details[0].field).toStartWith("context.");
    await Bun.sleep(50);
    expect(svc.sink.events.length).toBe(before);
  });

  test("the same bound holds for tool parameters, the response schema and messages", async () => {
    const deepSchema = JSON.parse(nested(70));
    const tools = await svc.post({ ...ok, tools: [{ name: "t", parameters: deepSchema }] });
    expect(tools.status).toBe(400);
    expect(((await tools.json()) as any).details[0].field).toStartWith("tools[0].parameters.a");

    const format = await svc.post({ ...ok, responseFormat: { type: "json_schema", schema: deepSchema } });
    expect(format.status).toBe(400);
    expect(((await format.json()) as any).details[0].field).toStartWith("responseFormat.schema.a");

    const arrays = await svc.post(`{"model":"demo","messages":${"[".repeat(30_000)}${"]".repeat(30_000)}}`);
    expect(arrays.status).toBe(400);
    expect(((await arrays.json()) as any).details[0].field).toStartWith("messages[0][0]");
  });

  test("nesting within the bound, keys with escapes and brackets in strings, is accepted", async () => {
    const res = await svc.post({
      ...ok,
      messages: [{ role: "user", content: '{{{{[[[[ "quoted \\" [' }],
      context: { 'k"}': JSON.parse(nested(50)) },
    });
    expect(res.status).toBe(200);
  });
});

describe("body limit", () => {
  test("a chunked body over the limit is 413 payload_too_large", async () => {
    const body = JSON.stringify({ ...ok, messages: [{ role: "user", content: "x".repeat(12 * 1024 * 1024) }] });
    const res = await postChunked(body, undefined, { "x-request-id": "big-1" });
    expect(res.status).toBe(413);
    const answer: any = await res.json();
    expect(answer).toMatchObject({ statusCode: 413, code: "payload_too_large", requestId: "big-1" });
  });

  test("the limit counts bytes, not characters: 3-byte characters under it in count, over it in bytes", async () => {
    // 4 Mi characters of "€": 12 MiB of UTF-8.
    const body = JSON.stringify({ ...ok, messages: [{ role: "user", content: "€".repeat(4 * 1024 * 1024) }] });
    expect(body.length).toBeLessThan(10 * 1024 * 1024);
    const res = await postChunked(body);
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).code).toBe("payload_too_large");
  });

  test("a chunked body under the limit is served", async () => {
    const res = await postChunked(JSON.stringify(ok), 5);
    expect(res.status).toBe(200);
  });
});

describe("error size", () => {
  test("200,000 bad messages get the first 20 problems and a count of the rest, without holding up other requests", async () => {
    const body = JSON.stringify({ model: "demo", messages: Array.from({ length: 200_000 }, () => ({ role: "user", content: 1 })) });
    const started = performance.now();
    let done = false;
    const pending = svc.post(body).finally(() => (done = true));
    const healthMs: number[] = [];
    while (!done) {
      healthMs.push(await timedHealth());
      await Bun.sleep(20);
    }
    const res = await pending;
    const text = await res.text();
    const elapsed = performance.now() - started;
    // Building the error took seconds on the event loop (4.7 s on a busy machine); parsing 3 MB
    // of JSON still takes a moment there.
    expect(Math.max(...healthMs)).toBeLessThan(2500);
    expect(res.status).toBe(400);
    const answer = JSON.parse(text);
    expect(answer.details).toHaveLength(21);
    expect(answer.details[0].field).toBe("messages[0].content");
    expect(answer.details[20]).toEqual({ field: "body", message: "199980 more problems not listed (at least; the first 20 are)" });
    expect(text.length).toBeLessThan(10_000);
    expect(elapsed).toBeLessThan(10_000);
  }, 20_000);

  test("one message with thousands of unknown fields is cut at the cap too", async () => {
    const message: Record<string, unknown> = { role: "user", content: "hi" };
    for (let i = 0; i < 5000; i++) message[`junk${i}`] = i;
    const res = await svc.post({ model: "demo", messages: [message] });
    expect(res.status).toBe(400);
    const answer: any = await res.json();
    expect(answer.details).toHaveLength(21);
    expect(answer.details[20].field).toBe("body");
    expect(answer.details[20].message).toContain("more problem");
  });
});
