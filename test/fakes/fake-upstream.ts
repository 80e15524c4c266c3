/**
 * A scriptable HTTP server for fake upstreams, on node:http so a script controls every byte:
 * status, headers, SSE/NDJSON framing, pauses, a reset mid-stream, a hang. It records each
 * request and whether the client closed the socket before the answer ended.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
  headers: Record<string, string>;
  rawBody: string;
  body: any;
  /** Set when the client closed the connection before the fake finished answering. */
  clientClosed: boolean;
  /** Resolves when the exchange is over (answered or closed). */
  ended: Promise<void>;
}

export type Step =
  /** Raw bytes to write. */
  | { write: string | Uint8Array }
  | { delayMs: number }
  /** Destroy the socket now (a connection reset mid-answer). */
  | { reset: true }
  /** Never answer further; the client must give up. */
  | { hang: true };

export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  /** Body steps; a plain string is a single write. */
  body?: string | Step[];
  /** Reset the connection before sending anything. */
  resetBeforeHeaders?: boolean;
  /** Send nothing at all (not even headers). */
  hangBeforeHeaders?: boolean;
}

export type Script = (request: RecordedRequest) => ScriptedResponse | Promise<ScriptedResponse>;

export interface FakeUpstream {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Replaces the script for the next requests. */
  setScript(script: Script): void;
  close(): Promise<void>;
}

export async function startFakeUpstream(script: Script, port = 0): Promise<FakeUpstream> {
  let current = script;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<import("node:net").Socket>();
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString("utf8");
    let body: unknown;
    try {
      body = rawBody ? JSON.parse(rawBody) : undefined;
    } catch {
      body = undefined;
    }
    let finish!: () => void;
    const recorded: RecordedRequest = {
      method: req.method ?? "",
      url: req.url ?? "",
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")])),
      rawBody,
      body,
      clientClosed: false,
      ended: new Promise<void>((r) => (finish = r)),
    };
    requests.push(recorded);
    let done = false;
    res.on("close", () => {
      if (!done) recorded.clientClosed = true;
      finish();
    });
    const answer = await current(recorded);
    if (answer.resetBeforeHeaders) {
      req.socket.destroy();
      return;
    }
    if (answer.hangBeforeHeaders) return;
    res.writeHead(answer.status ?? 200, answer.headers ?? { "content-type": "application/json" });
    const steps: Step[] = typeof answer.body === "string" ? [{ write: answer.body }] : (answer.body ?? []);
    for (const step of steps) {
      if (recorded.clientClosed) return;
      if ("write" in step) res.write(step.write);
      else if ("delayMs" in step) await Bun.sleep(step.delayMs);
      else if ("reset" in step) {
        req.socket.destroy();
        return;
      } else if ("hang" in step) return;
    }
    done = true;
    res.end();
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    requests,
    setScript(s) {
      current = s;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** SSE framing: `data: <payload>` events separated by a blank line. */
export function sseData(payload: unknown, eol = "\n"): string {
  const text = typeof payload === "string" ? payload : JSON.stringify(payload);
  return `data: ${text}${eol}${eol}`;
}

/** SSE with a named event (Anthropic). */
export function sseEvent(event: string, payload: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): ScriptedResponse {
  return { status, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}
