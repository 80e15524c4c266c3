/** The shell scripts as a new user runs them: from another directory, on a machine with an older Bun. */
import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./run-main";

const root = join(import.meta.dir, "../..");

test("scripts/start.sh reads a relative mapping path from the caller's directory", async () => {
  const dir = mkdtempSync(join(tmpdir(), "start-sh-"));
  writeFileSync(
    join(dir, "mapping.json"),
    JSON.stringify({
      providers: { p: { type: "mock", text: "from the caller's file" } },
      models: { mine: { targets: [{ provider: "p", deploymentName: "d" }] } },
    }),
  );
  const port = await freePort();
  const proc = Bun.spawn([join(root, "scripts/start.sh")], {
    cwd: dir,
    env: {
      PATH: process.env.PATH!,
      HOME: process.env.HOME ?? "/tmp",
      PORT: String(port),
      HOST: "127.0.0.1",
      LOCAL_MODEL_PROVIDERS_CONFIG_PATH: "mapping.json",
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  try {
    let health: any = null;
    for (let i = 0; i < 300 && proc.exitCode === null; i++) {
      try {
        health = await (await fetch(`http://127.0.0.1:${port}/api/v1/health`)).json();
        break;
      } catch {}
      await Bun.sleep(50);
    }
    if (!health) throw new Error(`start.sh did not serve: ${await new Response(proc.stderr).text()}`);
    expect(health.checks.mapping).toMatchObject({ status: "ok", source: `file ${join(dir, "mapping.json")}`, models: 1 });
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
  }
}, 60_000);

test("scripts/lib/ensure-bun.sh uses the Bun it installed, not an older one earlier on PATH", () => {
  const dir = mkdtempSync(join(tmpdir(), "ensure-bun-"));
  // An old bun first on PATH, and an npm whose global install puts the real one in its prefix.
  const old = join(dir, "old");
  const prefix = join(dir, "npm-global");
  const tools = join(dir, "tools");
  for (const d of [old, join(prefix, "bin"), tools]) mkdirSync(d, { recursive: true });
  writeFileSync(join(old, "bun"), "#!/bin/sh\necho 1.0.0\n");
  writeFileSync(
    join(tools, "npm"),
    `#!/bin/sh\nif [ "$1" = prefix ]; then echo "${prefix}"; exit 0; fi\nln -sf "${process.execPath}" "${prefix}/bin/bun"\n`,
  );
  for (const f of [join(old, "bun"), join(tools, "npm")]) chmodSync(f, 0o755);
  const r = Bun.spawnSync(
    ["bash", "-c", `set -e; . "${join(root, "scripts/lib/ensure-bun.sh")}"; echo "using $(command -v bun) $(bun --version)"`],
    {
      env: { PATH: `${old}:${tools}:/usr/bin:/bin`, HOME: dir },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  expect(r.stderr.toString()).toContain("installing Bun 1.4.5");
  expect(r.exitCode).toBe(0);
  expect(r.stdout.toString().trim()).toBe(`using ${prefix}/bin/bun 1.4.5`);
});

test("scripts/lib/ensure-bun.sh stops when the installed Bun is still not the one run", () => {
  const dir = mkdtempSync(join(tmpdir(), "ensure-bun-"));
  const tools = join(dir, "tools");
  mkdirSync(tools);
  writeFileSync(join(tools, "bun"), "#!/bin/sh\necho 1.0.0\n");
  writeFileSync(join(tools, "npm"), `#!/bin/sh\nif [ "$1" = prefix ]; then echo "${join(dir, "nowhere")}"; fi\nexit 0\n`);
  for (const f of ["bun", "npm"]) chmodSync(join(tools, f), 0o755);
  const r = Bun.spawnSync(["bash", "-c", `set -e; . "${join(root, "scripts/lib/ensure-bun.sh")}"; echo went on`], {
    env: { PATH: `${tools}:/usr/bin:/bin`, HOME: dir },
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(r.exitCode).toBe(1);
  expect(r.stdout.toString()).not.toContain("went on");
  expect(r.stderr.toString()).toContain("is version 1.0.0");
});

describe("a green test run prints no failure-looking noise", () => {
  /** Runs install_dependencies with a stand-in `bun` that prints what a fresh install prints. */
  function installWith(output: string, exitCode = 0) {
    const dir = mkdtempSync(join(tmpdir(), "install-deps-"));
    writeFileSync(join(dir, "output"), `${output}\n`);
    writeFileSync(join(dir, "bun"), `#!/bin/sh\ncat "${join(dir, "output")}"\nexit ${exitCode}\n`);
    chmodSync(join(dir, "bun"), 0o755);
    return Bun.spawnSync(
      ["bash", "-c", `set -euo pipefail; . "${join(root, "scripts/lib/install-dependencies.sh")}"; install_dependencies`],
      {
        env: { PATH: `${dir}:/usr/bin:/bin` },
        stdout: "pipe",
        stderr: "pipe",
      },
    );
  }

  test("the expected blocked postinstall (protobufjs's version check) is not reported; another one is", () => {
    const expected = installWith("Blocked 1 postinstall. Run `bun pm untrusted` for details.");
    expect(expected.exitCode).toBe(0);
    expect(expected.stderr.toString()).toBe("");
    const more = installWith("Blocked 2 postinstalls. Run `bun pm untrusted` for details.");
    expect(more.stderr.toString()).toContain("Blocked 2 postinstalls");
    expect(installWith("error: lockfile had changes, but lockfile is frozen", 1).exitCode).toBe(1);
  });

  test("the openai SDK reading a malformed chunk on purpose logs nothing", () => {
    const r = Bun.spawnSync(["bun", "test", "test/providers/openai-fakes-read-by-sdk.test.ts", "-t", "malformed chunk"], {
      cwd: root,
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/tmp" },
      stdout: "pipe",
      stderr: "pipe",
      timeout: 60_000,
    });
    const output = r.stdout.toString() + r.stderr.toString();
    expect(r.exitCode).toBe(0);
    expect(output).toMatch(/[1-9]\d* pass/);
    expect(output).not.toContain("Could not parse message into JSON");
  }, 60_000);
});
