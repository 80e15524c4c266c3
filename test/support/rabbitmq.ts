/**
 * A private RabbitMQ node per test file (through scripts/rabbitmq.sh), with its own node name,
 * ports and data directory, so a test can stop, kill and restart it without disturbing others.
 * Needs Debian's rabbitmq-server package (the project's test script installs it).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const SCRIPT = resolve(import.meta.dir, "../../scripts/rabbitmq.sh");
const BIN_DIR = process.env.RABBITMQ_BIN_DIR ?? "/usr/lib/rabbitmq/bin";

export interface PrivateBroker {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Starts the node (again) and resolves once it accepts connections. */
  start(): Promise<void>;
  /** A clean stop: resolves once the node's process has exited. */
  stop(): Promise<void>;
  /** kill -9: a crash. */
  kill(): Promise<void>;
  /** Runs rabbitmqctl against this node and returns its output. */
  ctl(...args: string[]): Promise<string>;
  /** Stops the node and deletes its directory. */
  dispose(): Promise<void>;
}

export function rabbitmqInstalled(): boolean {
  return existsSync(join(BIN_DIR, "rabbitmq-server")) && existsSync(join(BIN_DIR, "rabbitmqctl"));
}

/**
 * Creates a node in a fresh scratch directory; started unless `start: false`. `maxMessageSize`
 * (bytes) makes the node refuse larger messages.
 */
export async function createPrivateBroker(options: { start?: boolean; maxMessageSize?: number } = {}): Promise<PrivateBroker> {
  if (!rabbitmqInstalled()) {
    throw new Error(
      `RabbitMQ is not installed (${BIN_DIR}/rabbitmq-server not found): ` +
        "apt-get install -y --no-install-recommends rabbitmq-server, or set RABBITMQ_BIN_DIR",
    );
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "usage-rabbit-"));
  const broker: PrivateBroker = {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    port,
    dir,
    start: async () => {
      const env: Record<string, string> = options.maxMessageSize ? { RABBITMQ_MAX_MESSAGE_SIZE: String(options.maxMessageSize) } : {};
      await runWith(env, "start", dir, String(port));
    },
    stop: async () => void (await run("stop", dir)),
    kill: async () => void (await run("kill", dir)),
    ctl: (...args) => run("ctl", dir, ...args),
    dispose: async () => {
      await run("stop", dir).catch(() => run("kill", dir));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (options.start !== false) await broker.start();
  return broker;
}

function run(...args: string[]): Promise<string> {
  return runWith({}, ...args);
}

async function runWith(env: Record<string, string>, ...args: string[]): Promise<string> {
  const proc = Bun.spawn(["bash", SCRIPT, ...args], { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`scripts/rabbitmq.sh ${args[0]} failed (exit ${code}): ${stderr.trim() || stdout.trim()}`);
  return stdout;
}

/**
 * A port whose companions (distribution port +20000, CLI ports +21000..21010) are free too, all
 * below the kernel's ephemeral range (32768+), where outgoing connections in TIME_WAIT hold ports.
 */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 5_000 + Math.floor(Math.random() * 6_700);
    const needed = [port, port + 20_000, ...Array.from({ length: 11 }, (_, i) => port + 21_000 + i)];
    if (needed.every(isFree)) return port;
  }
  throw new Error("no free port for a private RabbitMQ node");
}

function isFree(port: number): boolean {
  try {
    const server = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
    server.stop(true);
    return true;
  } catch {
    return false;
  }
}
