/**
 * The compiled executable (CONTRACT §1): built with `bun run build`, started from an empty
 * directory with no Bun on PATH and no node_modules beside it, serving the demo mapping, and
 * draining on SIGTERM (an open stream finishes, then exit 0).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { grammarViolations, readNdjson, streamedText } from "./support/ndjson";

const root = join(import.meta.dir, "..");
let dir: string;
let proc: ReturnType<typeof Bun.spawn>;
let port: number;
let stdout = "";

async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, fetch: () => new Response() });
  const p = s.port!;
  s.stop(true);
  return p;
}

beforeAll(async () => {
  const build = Bun.spawnSync(["bun", "run", "build"], { cwd: root, stdout: "pipe", stderr: "pipe" });
  if (build.exitCode !== 0) throw new Error(`build failed: ${build.stderr.toString()}`);
  dir = mkdtempSync(join(tmpdir(), "completion-binary-"));
  copyFileSync(join(root, "dist/completion-service"), join(dir, "completion-service"));
  port = await freePort();
  proc = Bun.spawn(["./completion-service"], {
    cwd: dir,
    // No Bun on PATH, nothing configured: the bundled demo mapping.
    env: { PATH: "/usr/bin:/bin", PORT: String(port), HOST: "127.0.0.1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  (async () => {
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) stdout += new TextDecoder().decode(chunk);
  })();
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/api/v1/health`)).ok) return;
    } catch {}
    await Bun.sleep(50);
  }
  throw new Error("the binary did not become healthy");
}, 60_000);

afterAll(() => {
  proc?.kill("SIGKILL");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the binary answers the demo model, streamed and as JSON", async () => {
  const url = `http://127.0.0.1:${port}/api/v1/completions`;
  const body = { model: "demo", messages: [{ role: "user", content: "hi" }] };
  const streamed = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...body, stream: true }) });
  const lines = await readNdjson(streamed);
  expect(grammarViolations(lines)).toEqual([]);
  const json: any = await (await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json();
  expect(streamedText(lines)).toBe(json.outputText);
  expect(json.outputText.length).toBeGreaterThan(20);
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  expect(metrics).toContain('completion_requests_total{model="demo",provider="mock",stream="true",status="success"} 1');
  // No broker configured: the log sink, whose events count as published.
  expect(metrics).toContain('completion_usage_events_total{result="published"} 2');
  expect(metrics).toContain("process_resident_memory_bytes");
});

test("SIGTERM lets an open stream finish, flushes its usage event, and exits 0", async () => {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-request-id": "drain-me" },
    body: JSON.stringify({ model: "demo-slow", messages: [{ role: "user", content: "hi" }], stream: true }),
  });
  const reader = res.body!.getReader();
  await reader.read(); // the stream is open
  proc.kill("SIGTERM");
  await Bun.sleep(100);
  const health = await fetch(`http://127.0.0.1:${port}/api/v1/health`).catch(() => null);
  if (health) expect(health.status).toBe(503);
  let rest = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    rest += new TextDecoder().decode(value);
  }
  expect(rest.trim().split("\n").at(-1)).toBe('{"type":"finish","finishReason":"stop"}');
  expect(await proc.exited).toBe(0);
  await Bun.sleep(50);
  const event = stdout.split("\n").find((l) => l.includes('"usage_event"') && l.includes('"drain-me"'));
  expect(event).toBeDefined();
  expect(JSON.parse(event!).event).toMatchObject({ status: "success", model: "demo-slow" });
}, 30_000);
