/**
 * A private Redis server per test file, on a free loopback port with its own scratch directory and
 * no persistence, so a test can kill and restart it without disturbing others. Needs Debian's
 * redis-server package (the project's test script installs it).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** Starts the server (again, on the same port) and resolves once it answers PING. */
  start(): Promise<void>;
  /** kill -9: a crash; resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGSTOP: the server holds its connections and answers nothing (a hung host). */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  /** Runs one command through redis-cli and returns its output. */
  cli(...args: string[]): Promise<string>;
  /** Kills the server and deletes its directory. */
  dispose(): Promise<void>;
}

export function redisInstalled(): boolean {
  return Bun.which("redis-server") !== null && Bun.which("redis-cli") !== null;
}

export async function createPrivateRedis(): Promise<PrivateRedis> {
  if (!redisInstalled()) {
    throw new Error("Redis is not installed (redis-server not found): apt-get install -y --no-install-recommends redis-server");
  }
  const port = freePort();
  const dir = mkdtempSync(join(tmpdir(), "limits-redis-"));
  let proc: Subprocess | null = null;
  const cli = async (...args: string[]) => {
    const p = Bun.spawn(["redis-cli", "-h", "127.0.0.1", "-p", String(port), ...args], { stdout: "pipe", stderr: "pipe" });
    const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
    if (code !== 0) throw new Error(`redis-cli ${args.join(" ")} failed (exit ${code})`);
    return out.trim();
  };
  const redis: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    start: async () => {
      proc = Bun.spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], {
        stdout: "ignore",
        stderr: "ignore",
      });
      const deadline = Date.now() + 10_000;
      for (;;) {
        if ((await cli("PING").catch(() => "")) === "PONG") return;
        if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within 10 s`);
        await Bun.sleep(25);
      }
    },
    kill: async () => {
      const p = proc;
      proc = null;
      if (!p) return;
      p.kill(9);
      await p.exited;
    },
    pause: () => proc?.kill("SIGSTOP"),
    resume: () => proc?.kill("SIGCONT"),
    cli,
    dispose: async () => {
      redis.resume();
      await redis.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await redis.start();
  return redis;
}

/** A free port below the kernel's ephemeral range (32768+), where outgoing connections hold ports. */
function freePort(): number {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 12_000 + Math.floor(Math.random() * 18_000);
    try {
      const server = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
      server.stop(true);
      return port;
    } catch {}
  }
  throw new Error("no free port for a private Redis server");
}
