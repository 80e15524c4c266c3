/** Runs the service as a user does (`bun run src/main.ts`), with only the environment given. */
import { join } from "node:path";

export const MAIN = join(import.meta.dir, "../../src/main.ts");

export interface RunningMain {
  url: string;
  proc: ReturnType<typeof Bun.spawn>;
  /** Every stdout line so far, parsed when JSON. */
  logs(): Array<Record<string, any>>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, fetch: () => new Response() });
  const p = s.port!;
  s.stop(true);
  return p;
}

export function cleanEnv(vars: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/tmp", ...vars };
}

/** Starts the service and waits for its health to answer (any status). */
export async function runMain(vars: Record<string, string>, options: { cwd?: string; command?: string[] } = {}): Promise<RunningMain> {
  const port = await freePort();
  const proc = Bun.spawn(options.command ?? ["bun", "run", MAIN], {
    cwd: options.cwd,
    env: cleanEnv({ PORT: String(port), HOST: "127.0.0.1", ...vars }),
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  (async () => {
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) out += new TextDecoder().decode(chunk);
  })();
  const url = `http://127.0.0.1:${port}`;
  const running: RunningMain = {
    url,
    proc,
    logs: () =>
      out
        .split("\n")
        .filter(Boolean)
        .map((line) => {
          try {
            return JSON.parse(line);
          } catch {
            return { raw: line };
          }
        }),
    stop: async () => {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null)
      throw new Error(`the service exited ${proc.exitCode}: ${await new Response(proc.stderr as ReadableStream).text()}`);
    try {
      await fetch(`${url}/api/v1/health`);
      return running;
    } catch {}
    await Bun.sleep(50);
  }
  proc.kill("SIGKILL");
  throw new Error("the service did not answer its health check");
}

/** Runs the service to its end (start-up failures), with a bound. */
export async function runMainToExit(vars: Record<string, string>, command = ["bun", "run", MAIN]) {
  // Not spawnSync: a fake llm-core in this process must keep answering.
  const proc = Bun.spawn(command, { env: cleanEnv(vars), stdout: "pipe", stderr: "pipe", timeout: 20_000 });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { exitCode, stderr, stdout };
}
