/**
 * The benchmark's peer: the Portkey AI gateway (npm `@portkey-ai/gateway`), a widely used
 * open-source LLM gateway, run with Node as its README says, on the same fake upstream.
 *
 * Installed on demand into a scratch directory outside the repository (kept between runs), never
 * a dependency of ours. `@hono/node-server` is pinned to 1.13.8 through npm `overrides`: Portkey's
 * own range lets in later versions whose streamed responses stall under it. It is told its
 * provider and upstream per request: `x-portkey-provider: openai`, `x-portkey-custom-host`.
 * Where Node or npm is missing, or the install fails, the row is skipped with the reason.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

export const PORTKEY_VERSION = "1.15.2";
const HONO_NODE_SERVER = "1.13.8";

export type Peer = { url: string; pid: number; headers: Record<string, string>; description: string } | { skipped: string };

function install(dir: string): string | null {
  const entry = join(dir, "node_modules/@portkey-ai/gateway/build/start-server.js");
  if (existsSync(entry)) return entry;
  if (!Bun.which("node") || !Bun.which("npm")) return null;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ private: true, overrides: { "@hono/node-server": HONO_NODE_SERVER } }));
  console.error(`installing the peer: @portkey-ai/gateway@${PORTKEY_VERSION} into ${dir}`);
  const r = Bun.spawnSync(
    [
      "npm",
      "install",
      "--no-audit",
      "--no-fund",
      "--prefix",
      dir,
      `@portkey-ai/gateway@${PORTKEY_VERSION}`,
      `@hono/node-server@${HONO_NODE_SERVER}`,
    ],
    { stdout: "pipe", stderr: "pipe", timeout: 300_000 },
  );
  if (r.exitCode !== 0 || !existsSync(entry))
    throw new Error(`npm install failed (exit ${r.exitCode}): ${r.stderr.toString().trim().split("\n").slice(-3).join(" ")}`);
  return entry;
}

async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const p = s.port!;
  s.stop(true);
  return p;
}

/**
 * Installs (once) and starts the peer pointed at `upstreamBaseUrl` (`http://127.0.0.1:<port>/v1`);
 * `track` is given the process, for the bench to kill at the end.
 */
export async function startPeer(upstreamBaseUrl: string, track: (proc: Subprocess) => void): Promise<Peer> {
  let entry: string | null;
  try {
    entry = install(join(tmpdir(), `completion-bench-portkey-${PORTKEY_VERSION}`));
  } catch (e) {
    return { skipped: (e as Error).message };
  }
  if (!entry) return { skipped: "node or npm is not installed" };
  const port = await freePort();
  // It takes no listen address: it listens on every interface; only loopback is sent to.
  const proc = Bun.spawn(["node", entry, `--port=${port}`, "--headless"], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NODE_ENV: "production" },
    stdout: "ignore",
    stderr: "ignore",
  });
  track(proc);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${base}/`)).ok) {
        const node = Bun.spawnSync(["node", "--version"]).stdout.toString().trim();
        return {
          url: `${base}/v1/chat/completions`,
          pid: proc.pid,
          headers: { "x-portkey-provider": "openai", "x-portkey-custom-host": upstreamBaseUrl, authorization: "Bearer bench" },
          description: `Portkey gateway ${PORTKEY_VERSION} (@hono/node-server ${HONO_NODE_SERVER}) on Node ${node}, one process`,
        };
      }
    } catch {}
    if (proc.exitCode !== null) return { skipped: `it exited with ${proc.exitCode} at start` };
    await Bun.sleep(100);
  }
  proc.kill("SIGKILL");
  return { skipped: "it did not answer within 20 s" };
}
