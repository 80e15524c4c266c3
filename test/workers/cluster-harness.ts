/**
 * The real service (`bun src/main.ts`) with WORKERS=2, over real HTTP on loopback, its stdout
 * read line by line: usage events of the log sink, and which worker logged each completion.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

export const root = join(import.meta.dir, "../..");

export interface Output {
  lines: string[];
  /** Usage events by request id. */
  events: Map<string, unknown>;
  /** Which worker logged "completion finished" for each request id. */
  servedBy: Map<string, number>;
}

export async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

export function collect(stream: ReadableStream<Uint8Array>, out: Output): void {
  void (async () => {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of stream) {
      rest += decoder.decode(chunk, { stream: true });
      let i: number;
      while ((i = rest.indexOf("\n")) >= 0) {
        const line = rest.slice(0, i);
        rest = rest.slice(i + 1);
        out.lines.push(line);
        let parsed: { kind?: string; event?: { requestId: string }; msg?: string; worker?: number; requestId?: string };
        try {
          parsed = JSON.parse(line);
        } catch {
          continue; // not ours to read
        }
        if (parsed.kind === "usage_event") out.events.set(parsed.event!.requestId, parsed.event);
        if (parsed.msg === "completion finished") out.servedBy.set(parsed.requestId!, parsed.worker!);
      }
    }
  })();
}

export interface Cluster {
  proc: Subprocess<"ignore", "pipe", "inherit">;
  url: string;
  out: Output;
  spool: string;
}

/** `up`: the worker statuses that count as started (with a broker away, workers are `degraded`). */
export async function startCluster(
  extraEnv: Record<string, string> = {},
  spool = mkdtempSync(join(tmpdir(), "workers-spool-")),
  up = ["ok"],
): Promise<Cluster> {
  const port = await freePort();
  const proc = Bun.spawn([process.execPath, join(root, "src/main.ts")], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      WORKERS: "2",
      PORT: String(port),
      HOST: "127.0.0.1",
      EVENTS_SPOOL_DIR: spool,
      SHUTDOWN_GRACE_MS: "10000",
      BUN_CONFIG_MAX_HTTP_REQUESTS: "10000",
      MIMALLOC_PURGE_DELAY: "100",
      BUN_JSC_forceRAMSize: "1073741824",
      ...extraEnv,
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "inherit",
  });
  const out: Output = { lines: [], events: new Map(), servedBy: new Map() };
  collect(proc.stdout, out);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await workersOf(url)).filter((w) => up.includes(w.status)).length === 2, "both workers ready");
  return { proc, url, out, spool };
}

export interface WorkerView {
  index: number;
  pid: number | null;
  status: string;
  restarts: number;
}

export async function workersOf(url: string): Promise<WorkerView[]> {
  try {
    const res = await fetch(`${url}/api/v1/health`, { keepalive: false });
    const body = (await res.json()) as { checks?: { workers?: { workers: WorkerView[] } } };
    return body.checks?.workers?.workers ?? [];
  } catch {
    return [];
  }
}

export async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** completion_requests_total, all label sets with status="success", as /metrics answers. */
export async function successesCounted(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { keepalive: false })).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("completion_requests_total{") && line.includes('status="success"')) total += Number(line.split(" ").pop());
  }
  return total;
}

export interface Outcome {
  id: string;
  ok: boolean;
  end: number;
  error?: string;
}

/** One completion on a connection of its own (so the kernel picks the worker each time). */
export async function complete(url: string, model = "demo", stream = false): Promise<Outcome> {
  const id = crypto.randomUUID();
  try {
    const res = await fetch(`${url}/api/v1/completions`, {
      method: "POST",
      keepalive: false,
      headers: { "content-type": "application/json", "x-request-id": id },
      body: JSON.stringify({ model, stream, messages: [{ role: "user", content: "hi" }] }),
    });
    const text = await res.text();
    const ok = res.status === 200 && (stream ? text.includes('"finishReason":"stop"') : text.includes("outputText"));
    return { id, ok, end: Date.now(), ...(!ok && { error: `${res.status} ${text.slice(0, 200)}` }) };
  } catch (e) {
    return { id, ok: false, end: Date.now(), error: (e as Error).message };
  }
}

/** `clients` loops of completions, 5 ms apart, until `until()` says stop, at most `max` requests in all. */
export async function load(url: string, clients: number, until: () => boolean, max = 5_000): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (!until() && outcomes.length < max) {
        outcomes.push(await complete(url));
        await Bun.sleep(5);
      }
    }),
  );
  return outcomes;
}
