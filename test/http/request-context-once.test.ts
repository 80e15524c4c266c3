/**
 * The request context and the auth guard are used by the app and again by each route that reads
 * their fields; Elysia registers each once (they are named), so one request gets one id, one
 * logger child and one guard check, and an error's `x-request-id` is the id in its body.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { silentLogger, type Logger } from "../../src/observability/logger";
import { DEMO_REQUEST, startService, type RunningService } from "../support/guarded-service";

const KEY = "request-context-key-0123456789";
const children: Record<string, unknown>[] = [];
const debugLines: string[] = [];
const requestLogger: Logger = { ...silentLogger, debug: (msg) => debugLines.push(msg) };
const logger: Logger = {
  ...silentLogger,
  child(bindings) {
    children.push(bindings);
    return requestLogger;
  },
};

let svc: RunningService;
beforeAll(async () => {
  svc = await startService({ AUTH_MODE: "api_key", API_KEYS: KEY }, {}, logger);
});
afterAll(() => svc.stop());

async function send(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<{ res: Response; id: string }> {
  const id = `once-${crypto.randomUUID()}`;
  children.length = 0;
  debugLines.length = 0;
  const res = await fetch(`${svc.baseUrl}${path}`, { ...init, headers: { "x-request-id": id, ...init.headers } });
  return { res, id };
}

const post = (body: unknown, headers: Record<string, string> = {}): RequestInit & { headers: Record<string, string> } => ({
  method: "POST",
  headers: { "content-type": "application/json", authorization: `Bearer ${KEY}`, ...headers },
  body: JSON.stringify(body),
});

for (const [name, path, init] of [
  ["/api/v1/completions, JSON", "/api/v1/completions", post(DEMO_REQUEST)],
  ["/api/v1/completions, stream", "/api/v1/completions", post({ ...DEMO_REQUEST, stream: true })],
  ["/v1/chat/completions", "/v1/chat/completions", post(DEMO_REQUEST)],
  ["/v1/messages, stream", "/v1/messages", post({ ...DEMO_REQUEST, max_tokens: 5, stream: true })],
  ["/v1/models", "/v1/models", { headers: { authorization: `Bearer ${KEY}` } }],
] as const) {
  test(`${name}: one request id, one logger child`, async () => {
    const { res, id } = await send(path, init);
    await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe(id);
    expect(children).toEqual([{ requestId: id }]);
  });
}

test("an error's x-request-id is its body's requestId; the derive ran once", async () => {
  const { res, id } = await send("/api/v1/completions", post({ ...DEMO_REQUEST, model: "no-such-model" }));
  const body = (await res.json()) as { error: { requestId?: string }; requestId?: string };
  expect(res.status).toBe(404);
  expect(res.headers.get("x-request-id")).toBe(id);
  expect(body.requestId ?? body.error.requestId).toBe(id);
  expect(children).toEqual([{ requestId: id }]);
});

test("the guard's 401 carries the same id in header and body; the guard checked once", async () => {
  const { res, id } = await send("/api/v1/limits", { headers: { authorization: "Bearer wrong-key-0123456789" } });
  const body = (await res.json()) as { error: { requestId?: string }; requestId?: string };
  expect(res.status).toBe(401);
  expect(res.headers.get("x-request-id")).toBe(id);
  expect(body.requestId ?? body.error.requestId).toBe(id);
  expect(children).toEqual([{ requestId: id }]);
  expect(debugLines.filter((msg) => msg === "request rejected: unauthorized")).toHaveLength(1);
});
