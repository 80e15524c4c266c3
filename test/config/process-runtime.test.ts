/**
 * The process around the service: three runtime settings only its environment can carry (Bun reads
 * them at start) — without them the service restarts itself once with them set — and errors that
 * escape every handler, which must not end the process.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const MAIN = join(import.meta.dir, "../../src/main.ts");

/** Starts the service on the demo mapping; returns its log lines up to "listening". */
async function startupLines(extraEnv: Record<string, string>): Promise<{ msg: string; level: string }[]> {
  const proc = Bun.spawn(["bun", MAIN], {
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/tmp", PORT: "0", HOST: "127.0.0.1", ...extraEnv },
    stdout: "pipe",
    stderr: "pipe",
  });
  const lines: { msg: string; level: string }[] = [];
  try {
    const decoder = new TextDecoder();
    let text = "";
    for await (const bytes of proc.stdout) {
      text += decoder.decode(bytes, { stream: true });
      const complete = text.slice(0, text.lastIndexOf("\n") + 1);
      if (complete.includes('"msg":"listening"')) break;
    }
    for (const line of text.split("\n")) if (line.startsWith("{")) lines.push(JSON.parse(line));
    return lines;
  } finally {
    proc.kill("SIGKILL");
    await proc.exited;
  }
}

test("unset, the service sets them itself at start and says so, without a warning", async () => {
  const lines = await startupLines({});
  expect(
    lines.filter((l) => l.level === "warn" && /BUN_CONFIG_MAX_HTTP_REQUESTS|MIMALLOC_PURGE_DELAY|BUN_JSC_forceRAMSize/.test(l.msg)),
  ).toEqual([]);
  expect(lines.find((l) => l.msg.startsWith("runtime settings applied at start"))?.msg).toBe(
    "runtime settings applied at start: BUN_CONFIG_MAX_HTTP_REQUESTS=10000 MIMALLOC_PURGE_DELAY=100 BUN_JSC_forceRAMSize=1073741824",
  );
});

const RUNTIME_SET = { BUN_CONFIG_MAX_HTTP_REQUESTS: "10000", MIMALLOC_PURGE_DELAY: "100", BUN_JSC_forceRAMSize: "1073741824" };

test("set (as the image and scripts/start.sh set them), no warning", async () => {
  const lines = await startupLines(RUNTIME_SET);
  expect(lines.some((l) => l.msg === "listening")).toBe(true);
  expect(lines.filter((l) => /BUN_CONFIG_MAX_HTTP_REQUESTS|MIMALLOC_PURGE_DELAY|BUN_JSC_forceRAMSize/.test(l.msg))).toEqual([]);
});

test("an error that escapes every handler is logged, and the service keeps serving", async () => {
  // A preload schedules a throwing abort listener (Bun ends a process on such an error by default)
  // and an unhandled rejection, once the service has started.
  const dir = mkdtempSync(join(tmpdir(), "uncaught-"));
  const preload = join(dir, "faults.ts");
  writeFileSync(
    preload,
    // Once the service has installed its handlers (not after a fixed delay: a busy machine starts slower).
    `const wait = setInterval(() => {
      if (process.listenerCount("uncaughtException") === 0) return;
      clearInterval(wait);
      const c = new AbortController();
      c.signal.addEventListener("abort", () => { throw new Error("fault in a listener"); });
      c.abort();
      void Promise.reject(new Error("fault in a promise"));
    }, 20);`,
  );
  const proc = Bun.spawn(["bun", "--preload", preload, MAIN], {
    // The runtime settings given: no restart at start, which would double the wait on a busy machine.
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/tmp", PORT: "0", HOST: "127.0.0.1", ...RUNTIME_SET },
    stdout: "pipe",
    stderr: "pipe",
  });
  try {
    const decoder = new TextDecoder();
    let text = "";
    const reader = proc.stdout.getReader();
    while (!(text.includes("fault in a listener") && text.includes("fault in a promise"))) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    const lines = text
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.level === "error").map((l) => l.msg)).toEqual([
      "uncaught error; the service keeps running",
      "unhandled rejection; the service keeps running",
    ]);
    const port = lines.find((l) => l.msg === "listening").port;
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "demo", messages: [{ role: "user", content: "still there?" }] }),
    });
    expect(res.status).toBe(200);
    expect(proc.exitCode).toBeNull();
  } finally {
    proc.kill("SIGKILL");
    await proc.exited;
  }
}, 30_000);
