/**
 * The compiled executable: built with `bun run build`, started from an empty
 * directory with no Bun on PATH and no node_modules beside it, serving the demo mapping, and
 * draining on SIGTERM (an open stream finishes, then exit 0).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
  const streamed = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...body, stream: true }),
  });
  const lines = await readNdjson(streamed);
  expect(grammarViolations(lines)).toEqual([]);
  const json: any = await (
    await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
  ).json();
  expect(streamedText(lines)).toBe(json.outputText);
  expect(json.outputText.length).toBeGreaterThan(20);
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  expect(metrics).toContain('completion_requests_total{model="demo",provider="mock",api="completions",stream="true",status="success"} 1');
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

/** Starts a copy of the binary in a directory of its own; resolves when its health answers. */
async function startBinary(env: Record<string, string>, files: Record<string, string> = {}) {
  const home = mkdtempSync(join(tmpdir(), "completion-binary-"));
  copyFileSync(join(root, "dist/completion-service"), join(home, "completion-service"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(home, name), text);
  const p = await freePort();
  const child = Bun.spawn(["./completion-service"], {
    cwd: home,
    env: { PATH: "/usr/bin:/bin", PORT: String(p), HOST: "127.0.0.1", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  (async () => {
    for await (const chunk of child.stdout as ReadableStream<Uint8Array>) out += new TextDecoder().decode(chunk);
  })();
  const url = `http://127.0.0.1:${p}`;
  const stop = async () => {
    child.kill("SIGKILL");
    await child.exited;
    rmSync(home, { recursive: true, force: true });
  };
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) {
      const err = await new Response(child.stderr as ReadableStream).text();
      await stop();
      throw new Error(`the binary exited ${child.exitCode}: ${err}`);
    }
    try {
      if ((await fetch(`${url}/api/v1/health`)).ok) return { child, url, stop, logs: () => out };
    } catch {}
    await Bun.sleep(50);
  }
  await stop();
  throw new Error("the binary did not become healthy");
}

/** A POST on a socket of its own; resolves with the whole answer once the server closes. */
function postRaw(url: string, body: unknown): Promise<string> {
  const { hostname, port: p } = new URL(url);
  const json = JSON.stringify(body);
  const request = `POST /api/v1/completions HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(json)}\r\nconnection: close\r\n\r\n${json}`;
  return new Promise((resolve, reject) => {
    let answer = "";
    Bun.connect({
      hostname,
      port: Number(p),
      socket: {
        open: (socket) => void socket.write(request),
        data: (_socket, chunk) => void (answer += chunk.toString()),
        close: () => resolve(answer),
        error: (_socket, error) => reject(error),
      },
    }).catch(reject);
  });
}

/** The environment the binary's process runs with, as the kernel has it. */
function processEnvironment(pid: number): Record<string, string> {
  const text = readFileSync(`/proc/${pid}/environ`, "utf8");
  return Object.fromEntries(
    text
      .split("\0")
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );
}

const packageVersion = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;

test("--version names the package version and the commit built from, and exits 0", () => {
  const head = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: root }).stdout.toString().trim();
  const r = Bun.spawnSync([join(root, "dist/completion-service"), "--version"], {
    env: { PATH: "/usr/bin:/bin" },
    stdout: "pipe",
    stderr: "pipe",
    timeout: 10_000,
  });
  expect(r.exitCode).toBe(0);
  expect(r.stdout.toString()).toMatch(
    new RegExp(`^completion-service ${packageVersion.replace(/\./g, "\\.")} \\(commit ${head}(-dirty)?\\)\n$`),
  );
  expect(r.stderr.toString()).toBe("");
}, 30_000);

test("--help lists every environment variable the service reads, one line each with its default, and starts nothing", () => {
  const r = Bun.spawnSync([join(root, "dist/completion-service"), "--help"], {
    env: { PATH: "/usr/bin:/bin", PORT: String(port) },
    stdout: "pipe",
    stderr: "pipe",
    timeout: 10_000,
  });
  expect(r.exitCode).toBe(0);
  const help = r.stdout.toString();
  const settingsSource = readFileSync(join(root, "src/config/settings.ts"), "utf8");
  const read = [...settingsSource.matchAll(/\(env, "([A-Z_]+)"/g)].map((m) => m[1]!);
  expect(read.length).toBeGreaterThan(20);
  for (const name of [...read, "BUN_CONFIG_MAX_HTTP_REQUESTS", "MIMALLOC_PURGE_DELAY", "BUN_JSC_forceRAMSize"]) {
    const line = help.split("\n").find((l) => l.trimStart().startsWith(`${name} `));
    expect(line, name).toBeDefined();
  }
  expect(help).toMatch(/PORT +4000 /);
  expect(help).toMatch(/RABBITMQ_EXCHANGE +llm\.transactions /);
  expect(help).not.toContain('"level"'); // no log line: nothing started
}, 30_000);

test("an unknown option is refused with exit code 2", () => {
  const r = Bun.spawnSync([join(root, "dist/completion-service"), "--port=5000"], {
    env: { PATH: "/usr/bin:/bin" },
    stdout: "pipe",
    stderr: "pipe",
    timeout: 10_000,
  });
  expect(r.exitCode).toBe(2);
  expect(r.stderr.toString()).toContain("unknown option --port=5000");
}, 30_000);

test("health and /metrics say which version and commit run", async () => {
  const svc = await startBinary({});
  try {
    const health = (await (await fetch(`${svc.url}/api/v1/health`)).json()) as any;
    expect(health.version).toBe(packageVersion);
    expect(health.commit).toMatch(/^[0-9a-f]{12}(-dirty)?$/);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toContain(`completion_build_info{version="${packageVersion}",commit="${health.commit}"} 1`);
  } finally {
    await svc.stop();
  }
}, 30_000);

test("a .env or bunfig.toml in the binary's working directory has no effect", async () => {
  // Were they read, the invalid LOG_LEVEL would stop start-up, and so would the broken bunfig.toml.
  const svc = await startBinary({}, { ".env": "LOG_LEVEL=loud\nAUTH_MODE=api_key\n", "bunfig.toml": "this is not toml [[[\n" });
  try {
    const res = await fetch(`${svc.url}/api/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "demo", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(200); // AUTH_MODE from .env would have asked for a key
    expect(processEnvironment(svc.child.pid).LOG_LEVEL).toBeUndefined();
  } finally {
    await svc.stop();
  }
}, 30_000);

describe("Bun's runtime settings", () => {
  test("are set by the binary itself when missing, without warnings, in the same process", async () => {
    const svc = await startBinary({});
    try {
      const env = processEnvironment(svc.child.pid);
      expect(env).toMatchObject({ BUN_CONFIG_MAX_HTTP_REQUESTS: "10000", MIMALLOC_PURGE_DELAY: "100", BUN_JSC_forceRAMSize: "1073741824" });
      expect(svc.logs()).not.toContain('"level":"warn","msg":"BUN_');
      expect(svc.logs()).toContain("runtime settings applied at start");
    } finally {
      await svc.stop();
    }
  }, 30_000);

  test("values the user set are kept", async () => {
    const svc = await startBinary({ BUN_CONFIG_MAX_HTTP_REQUESTS: "512", BUN_JSC_forceRAMSize: "2147483648" });
    try {
      expect(processEnvironment(svc.child.pid)).toMatchObject({
        BUN_CONFIG_MAX_HTTP_REQUESTS: "512",
        MIMALLOC_PURGE_DELAY: "100",
        BUN_JSC_forceRAMSize: "2147483648",
      });
    } finally {
      await svc.stop();
    }
  }, 30_000);

  test("more than 256 upstream calls run at once", async () => {
    const CALLS = 300;
    let open = 0;
    let peak = 0;
    let release!: () => void;
    const allOpen = new Promise<void>((r) => (release = r));
    const upstream = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      idleTimeout: 0,
      async fetch() {
        peak = Math.max(peak, ++open);
        if (open >= CALLS) release();
        // Held until all are open, or a bound: with Bun's default of 256 the rest would wait.
        await Promise.race([allOpen, Bun.sleep(3000)]);
        open--;
        return Response.json({
          id: "c",
          object: "chat.completion",
          created: 1,
          model: "m",
          choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        });
      },
    });
    const mapping = {
      providers: { up: { type: "openai", apiKey: "k", baseUrl: `http://127.0.0.1:${upstream.port}/v1`, maxRetries: 0 } },
      models: { m: { targets: [{ provider: "up", deploymentName: "m" }] } },
    };
    const svc = await startBinary(
      { LOCAL_MODEL_PROVIDERS_CONFIG_PATH: "mapping.json", LOG_LEVEL: "warn" },
      { "mapping.json": JSON.stringify(mapping) },
    );
    try {
      // Raw sockets: this test process's own fetch is held to 256 at once too.
      const answers = await Promise.all(
        Array.from({ length: CALLS }, () => postRaw(svc.url, { model: "m", messages: [{ role: "user", content: "hi" }] })),
      );
      expect(answers.filter((a) => !a.startsWith("HTTP/1.1 200"))).toEqual([]);
      expect(peak).toBe(CALLS);
    } finally {
      await svc.stop();
      upstream.stop(true);
    }
  }, 60_000);
});
