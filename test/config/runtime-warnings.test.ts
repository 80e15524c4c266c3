/**
 * Two runtime settings only the process environment can carry (Bun reads them at start): without
 * them the service still runs, but says at start-up what an operator should set.
 */
import { expect, test } from "bun:test";
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

test("unset, each is named in a warning with the value to use", async () => {
  const warnings = (await startupLines({})).filter((l) => l.level === "warn").map((l) => l.msg);
  expect(warnings).toContainEqual(expect.stringContaining("BUN_CONFIG_MAX_HTTP_REQUESTS is not set"));
  expect(warnings).toContainEqual(expect.stringContaining("MIMALLOC_PURGE_DELAY is not set"));
});

test("set (as the image and scripts/start.sh set them), no warning", async () => {
  const lines = await startupLines({ BUN_CONFIG_MAX_HTTP_REQUESTS: "10000", MIMALLOC_PURGE_DELAY: "100" });
  expect(lines.some((l) => l.msg === "listening")).toBe(true);
  expect(lines.filter((l) => /BUN_CONFIG_MAX_HTTP_REQUESTS|MIMALLOC_PURGE_DELAY/.test(l.msg))).toEqual([]);
});
