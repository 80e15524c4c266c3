/**
 * From source (`bun run src/main.ts`) the service sets Bun's runtime settings itself, as the
 * binary does, and answers `--version`/`--help` without starting.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { runMain, runMainToExit, MAIN } from "./run-main";

function processEnvironment(pid: number): Record<string, string> {
  return Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, "utf8")
      .split("\0")
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );
}

test("missing runtime settings are set in the same process, without warnings; set ones are kept", async () => {
  const svc = await runMain({ MIMALLOC_PURGE_DELAY: "250" });
  try {
    expect(processEnvironment(svc.proc.pid)).toMatchObject({
      BUN_CONFIG_MAX_HTTP_REQUESTS: "10000",
      MIMALLOC_PURGE_DELAY: "250",
      BUN_JSC_forceRAMSize: "1073741824",
    });
    const logs = svc.logs();
    expect(logs.filter((l) => l.level === "warn" && /^(BUN_|MIMALLOC_)/.test(l.msg))).toEqual([]);
    expect(logs.filter((l) => l.msg === "starting")).toHaveLength(1);
  } finally {
    await svc.stop();
  }
}, 30_000);

test("with all three set, the process does not restart", async () => {
  const svc = await runMain({ BUN_CONFIG_MAX_HTTP_REQUESTS: "300", MIMALLOC_PURGE_DELAY: "100", BUN_JSC_forceRAMSize: "1073741824" });
  try {
    expect(processEnvironment(svc.proc.pid).COMPLETION_SERVICE_RUNTIME_SET).toBeUndefined();
    expect(processEnvironment(svc.proc.pid).BUN_CONFIG_MAX_HTTP_REQUESTS).toBe("300");
  } finally {
    await svc.stop();
  }
}, 30_000);

test("--version and --help answer from source and exit 0, reading no setting", async () => {
  const version = await runMainToExit({ PORT: "not-a-port" }, ["bun", "run", MAIN, "--version"]);
  expect(version).toMatchObject({ exitCode: 0, stderr: "" });
  expect(version.stdout).toMatch(/^completion-service \d+\.\d+\.\d+\n$/);
  const help = await runMainToExit({ PORT: "not-a-port" }, ["bun", "run", MAIN, "--help"]);
  expect(help.exitCode).toBe(0);
  expect(help.stdout).toContain("LOCAL_MODEL_PROVIDERS_CONFIG_PATH");
}, 30_000);
