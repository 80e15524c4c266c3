/**
 * The Dockerfile, without a Docker engine: its instructions checked for what the platform relies on
 * (pinned bases, OCI labels, the spool volume and its owner, a numeric non-root user), and the
 * binary it ships run as the image runs it, with the image's environment, answering its own
 * HEALTHCHECK.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

const root = join(import.meta.dir, "../..");

interface Instruction {
  op: string;
  args: string;
}

const instructions: Instruction[] = (await Bun.file(join(root, "Dockerfile")).text())
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"))
  .map((l) => {
    const [op, ...rest] = l.split(/\s+/);
    return { op: op!.toUpperCase(), args: rest.join(" ") };
  });
const finalStage = instructions.slice(instructions.findLastIndex((i) => i.op === "FROM"));
const all = (op: string, stage = finalStage) => stage.filter((i) => i.op === op).map((i) => i.args);
const only = (op: string) => {
  const found = all(op);
  expect(found.map(() => op)).toEqual([op]);
  return found[0]!;
};
const env: Record<string, string> = Object.fromEntries(
  all("ENV").flatMap((a) => a.split(/\s+/).map((kv) => kv.split("=", 2) as [string, string])),
);
const entrypoint = JSON.parse(only("ENTRYPOINT")) as string[];
const healthcheck = JSON.parse(only("HEALTHCHECK").replace(/^.*?CMD\s+/, "")) as string[];

test("base images are pinned: each by a version tag, the runtime also by digest", () => {
  const bases = all("FROM", instructions).map((a) => a.split(/\s+/)[0]!);
  expect(bases).toHaveLength(2);
  for (const image of bases) expect(image).toMatch(/^[\w./-]+:(?!latest\b)[\w.-]+(@sha256:[0-9a-f]{64})?$/);
  expect(bases[0]).toBe(`oven/bun:${Bun.version}`); // the Bun the project is built and tested with
  expect(bases[1]).toMatch(/^gcr\.io\/distroless\/cc-debian12:nonroot@sha256:[0-9a-f]{64}$/);
});

test("OCI labels carry the version and the commit from build arguments", () => {
  const args = all("ARG").map((a) => a.split("=")[0]);
  expect(args).toEqual(expect.arrayContaining(["VERSION", "REVISION"]));
  const labels = all("LABEL").join(" ");
  expect(labels).toContain('org.opencontainers.image.version="${VERSION}"');
  expect(labels).toContain('org.opencontainers.image.revision="${REVISION}"');
  expect(labels).toContain("org.opencontainers.image.title=");
});

test("the spool is a declared volume owned by the nonroot uid, and the service runs as that uid", () => {
  expect(JSON.parse(only("VOLUME"))).toEqual([env.EVENTS_SPOOL_DIR]);
  expect(all("COPY").some((a) => a.includes("--chown=65532:65532") && a.endsWith(` ${env.EVENTS_SPOOL_DIR}`))).toBe(true);
  expect(only("USER")).toBe("65532:65532");
});

test("HEALTHCHECK runs the shipped binary's healthcheck command", () => {
  expect(all("COPY").some((a) => a.endsWith(` ${entrypoint[0]}`))).toBe(true);
  expect(healthcheck).toEqual([entrypoint[0]!, "healthcheck"]);
  expect(only("HEALTHCHECK")).toMatch(/--timeout=\d+s/);
});

describe("the binary the image ships", () => {
  let dir: string;
  let binary: string;
  let proc: ReturnType<typeof Bun.spawn> | undefined;

  async function freePort(): Promise<number> {
    const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const p = s.port!;
    s.stop(true);
    return p;
  }

  /** The HEALTHCHECK command as the image runs it, with the image's environment. */
  function runHealthcheck(port: number) {
    const run = Bun.spawnSync([binary, ...healthcheck.slice(1)], { env: { ...env, PORT: String(port) }, stdout: "pipe", stderr: "pipe" });
    return { exitCode: run.exitCode, stdout: run.stdout.toString() };
  }

  beforeAll(() => {
    const build = Bun.spawnSync(["bun", "run", "build"], { cwd: root, stdout: "pipe", stderr: "pipe" });
    if (build.exitCode !== 0) throw new Error(`build failed: ${build.stderr.toString()}`);
    dir = mkdtempSync(join(tmpdir(), "completion-image-"));
    binary = join(dir, basename(entrypoint[0]!));
    copyFileSync(join(root, "dist/completion-service"), binary);
    mkdirSync(join(dir, "spool"));
  }, 60_000);

  afterAll(() => {
    proc?.kill("SIGKILL");
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the binary answers its HEALTHCHECK: 0 once ready, 1 when nothing listens", async () => {
    const port = await freePort();
    expect(runHealthcheck(port)).toEqual({
      exitCode: 1,
      stdout: `healthcheck: not ready, http://127.0.0.1:${port}/api/v1/health/ready: connection refused (nothing listening)\n`,
    });
    // The image's environment; only the spool moves to a scratch directory.
    proc = Bun.spawn([binary], {
      cwd: dir,
      env: { ...env, PORT: String(port), EVENTS_SPOOL_DIR: join(dir, "spool") },
      stdout: "ignore",
      stderr: "pipe",
    });
    let result = runHealthcheck(port);
    for (let i = 0; i < 100 && result.exitCode !== 0; i++) {
      await Bun.sleep(50);
      result = runHealthcheck(port);
    }
    expect(result).toEqual({ exitCode: 0, stdout: `healthcheck: ready (http://127.0.0.1:${port}/api/v1/health/ready)\n` });
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    expect(runHealthcheck(port).exitCode).toBe(1);
  }, 30_000);
});
