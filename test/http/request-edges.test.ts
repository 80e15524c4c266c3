/**
 * The edges of a request: its id on every path, a short Host header, the declared content type,
 * a declared size far over the limit.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { DEMO_MAPPING } from "../../src/config/demo-mapping";
import { startService, type Harness } from "../support/service-harness";

let svc: Harness;
beforeAll(async () => {
  svc = await startService({ mapping: DEMO_MAPPING, env: { BODY_LIMIT_BYTES: "65536" } });
});
afterAll(() => svc.stop());

const ok = { model: "demo", messages: [{ role: "user", content: "hi" }] };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** One raw HTTP/1.1 exchange (headers Bun's fetch would not send as given); resolves with the whole answer. */
function raw(request: string): Promise<string> {
  return new Promise((resolve) => {
    let received = "";
    const socket = connect(Number(new URL(svc.url).port), "127.0.0.1", () => socket.write(request));
    socket.on("data", (bytes) => {
      received += bytes.toString();
      const head = received.indexOf("\r\n\r\n");
      const length = /content-length: (\d+)/i.exec(received)?.[1];
      if (head >= 0 && length !== undefined && received.length >= head + 4 + Number(length)) socket.destroy();
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve(received));
    setTimeout(() => socket.destroy(), 3000);
  });
}

function parseRaw(answer: string): { status: number; headers: Record<string, string>; body: any } {
  const [head, ...rest] = answer.split("\r\n\r\n");
  const [statusLine, ...lines] = head!.split("\r\n");
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
  const text = rest.join("\r\n\r\n");
  return { status: Number(statusLine!.split(" ")[1]), headers, body: text ? JSON.parse(text) : null };
}

describe("x-request-id", () => {
  const hostile = ["<script>alert(1)</script>", "a".repeat(8000)];

  for (const given of hostile) {
    const name = given.length > 100 ? "8,000 characters" : given;
    test(`an invalid id (${name}) is replaced on every path: invalid JSON, 413, 404, 415, valid`, async () => {
      const headers = { "content-type": "application/json", "x-request-id": given };
      const answers = [
        await svc.post("{nope", { headers }),
        await svc.post({ ...ok, messages: [{ role: "user", content: "x".repeat(70_000) }] }, { headers }),
        await fetch(`${svc.url}/nope`, { headers }),
        await svc.post(ok, { headers: { ...headers, "content-type": "text/plain" } }),
        await svc.post(ok, { headers }),
      ];
      expect(answers.map((a) => a.status)).toEqual([400, 413, 404, 415, 200]);
      for (const answer of answers) {
        const id = answer.headers.get("x-request-id");
        expect(id).toMatch(UUID);
        if (answer.status !== 200) expect(((await answer.json()) as any).requestId).toBe(id!);
      }
    });
  }

  test("a valid id is kept on the error paths too", async () => {
    const res = await svc.post("{nope", { headers: { "content-type": "application/json", "x-request-id": "trace.01:a-b" } });
    expect(res.headers.get("x-request-id")).toBe("trace.01:a-b");
    expect(((await res.json()) as any).requestId).toBe("trace.01:a-b");
  });
});

describe("Host header", () => {
  for (const host of ["abc", "a", "ab:1", "localhost"]) {
    test(`Host: ${host} reaches the routes`, async () => {
      const health = parseRaw(await raw(`GET /api/v1/health HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
      expect(health.status).toBe(200);
      const body = JSON.stringify(ok);
      const completion = parseRaw(
        await raw(
          `POST /api/v1/completions HTTP/1.1\r\nHost: ${host}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        ),
      );
      expect(completion.status).toBe(200);
      expect(completion.body.finishReason).toBe("stop");
    });
  }
});

describe("content type", () => {
  test("a body not declared as JSON is 415 unsupported_media_type, and nothing runs", async () => {
    const before = svc.sink.events.length;
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonp"]) {
      const res = await svc.post(JSON.stringify(ok), { headers: { "content-type": type } });
      expect([type, res.status]).toEqual([type, 415]);
      expect(await res.json()).toMatchObject({ statusCode: 415, error: "Unsupported Media Type", code: "unsupported_media_type" });
    }
    const none = parseRaw(
      await raw(
        `POST /api/v1/completions HTTP/1.1\r\nHost: localhost\r\ncontent-length: ${JSON.stringify(ok).length}\r\nConnection: close\r\n\r\n${JSON.stringify(ok)}`,
      ),
    );
    expect(none.status).toBe(415);
    expect(none.body.code).toBe("unsupported_media_type");
    await Bun.sleep(50);
    expect(svc.sink.events.length).toBe(before);
  });

  test("application/json with parameters, any case, and +json types are accepted", async () => {
    for (const type of ["application/json; charset=utf-8", "Application/JSON", "application/vnd.api+json"]) {
      const res = await svc.post(ok, { headers: { "content-type": type } });
      expect([type, res.status]).toEqual([type, 200]);
    }
  });
});

test("a declared size far over the limit gets our 413 with a body and a request id, not an empty one", async () => {
  const answer = parseRaw(
    await raw(
      "POST /api/v1/completions HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\ncontent-length: 107374182400\r\nx-request-id: huge-1\r\n\r\n{",
    ),
  );
  expect(answer.status).toBe(413);
  expect(answer.headers["x-request-id"]).toBe("huge-1");
  expect(answer.body).toMatchObject({ code: "payload_too_large", requestId: "huge-1" });
});
