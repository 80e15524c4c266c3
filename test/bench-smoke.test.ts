/**
 * The benchmark runs (`bun run bench --smoke`): builds the binary, starts the fake upstream, the
 * bare proxy and the service, drives each (the service through its own API and its OpenAI door)
 * with wrk and the paced client for a moment, and writes its JSON. Nothing here is timed: the figures are only checked to exist.
 */
import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const wrkUsable = Bun.which("wrk") !== null || (process.getuid?.() === 0 && Bun.which("apt-get") !== null);

test.skipIf(!wrkUsable)(
  "bun run bench --smoke runs and writes its results",
  () => {
    const out = mkdtempSync(join(tmpdir(), "bench-smoke-"));
    try {
      const run = Bun.spawnSync(["bun", "run", "bench", "--smoke", "--out", out], {
        cwd: root,
        stdout: "pipe",
        stderr: "pipe",
        timeout: 90_000,
      });
      const stdout = run.stdout.toString();
      expect(run.exitCode, `${stdout}\n${run.stderr.toString()}`).toBe(0);
      const file = /results: (\S+\.json)/.exec(stdout)?.[1];
      expect(file).toBeDefined();
      expect(existsSync(file!)).toBe(true);
      const results = JSON.parse(readFileSync(file!, "utf8"));
      expect(results.kind).toBe("comparison");
      for (const target of ["direct", "proxy", "service", "service-openai-door"]) {
        expect(results.summary["saturated stream c10"][target].rps).toBeGreaterThan(0);
        expect(results.summary["paced json c10"][target].rps).toBeGreaterThan(0);
      }
      expect(results.startupMs.length).toBeGreaterThan(0);
      expect(results.table).toContain("| stream | 10 | service-openai-door |");
      expect(results.table).toContain("### The OpenAI door");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
  120_000,
);

if (!wrkUsable) console.warn("bench smoke test skipped: wrk is not installed and apt-get cannot install it (not root)");

test("bun run bench:in-process runs the service's own code for both modes", () => {
  const run = Bun.spawnSync(["bun", "run", "bench:in-process", "--requests", "50", "--rounds", "1"], {
    cwd: root,
    stdout: "pipe",
    stderr: "pipe",
    timeout: 60_000,
  });
  const stdout = run.stdout.toString();
  expect(run.exitCode, `${stdout}\n${run.stderr.toString()}`).toBe(0);
  // A row per mode with a CPU figure: each request answered 200 (the script throws otherwise).
  expect(stdout).toMatch(/^\| json \| \d+\.\d \|/m);
  expect(stdout).toMatch(/^\| stream \| \d+\.\d \|/m);
}, 60_000);
