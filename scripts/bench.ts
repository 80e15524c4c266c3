/**
 * The gateway's own cost, measured (docs/performance.md tells how to read it).
 *
 * Starts, all on loopback: a fake OpenAI upstream doing almost nothing (precomputed bytes), a bare
 * pass-through proxy (`fetch` forward, body streamed back, nothing parsed: the ceiling for any Bun
 * gateway here), and the COMPILED service pointed at the upstream, driven through its own API and,
 * as `service-openai-door`, through its OpenAI door (/v1/chat/completions, OpenAI-SDK-shaped
 * requests: only the door differs). Then measures them side by side, alternating runs (A B C,
 * B C A, …) so drift hits all alike:
 *
 * - saturated: `wrk` at full speed, concurrency 10 and 100, JSON and streams (20 chunks):
 *   requests/s, latency p50/p99, CPU per request of the front process;
 * - paced: a Bun client at a fixed offered rate well below saturation: latency p50/p99 and time to
 *   first chunk, so that "added latency" is the work done, not a queue;
 * - the service's peak RSS, and the binary's start-up time to a healthy `/api/v1/health`.
 *
 * A peer, when it can be installed (`--no-peer` leaves it out; `--smoke` too unless `--peer`): the
 * Portkey gateway under Node, on the same fake upstream (scripts/bench/portkey-peer.ts).
 *
 * `--workers N` runs the service with WORKERS=N; its CPU and RSS are then those of all its processes.
 *
 * Prints a markdown table and pass/fail per target (ratios to the floor and the bare proxy in the same run) and
 * writes `bench-results/<timestamp>.json`.
 *
 *   bun run bench [--duration 5] [--rounds 3] [--rate 1000] [--strict] [--no-build] [--workers N] [--no-peer] [--limits]
 *   bun run bench --smoke           a few seconds; proves it runs (exit 0 when it ran)
 *   bun run bench --soak            10 minutes at c100, streams; RSS every 30 s; exit 1 if it grows
 *   bun run bench --streams5000     5,000 streams held open at once against a slow upstream
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir, cpus } from "node:os";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";
import { startPeer } from "./bench/portkey-peer";

const root = join(import.meta.dir, "..");
const { values: opts } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    duration: { type: "string" },
    rounds: { type: "string" },
    rate: { type: "string" },
    threads: { type: "string", default: "1" },
    smoke: { type: "boolean", default: false },
    soak: { type: "boolean", default: false },
    streams5000: { type: "boolean", default: false },
    streams: { type: "string" },
    strict: { type: "boolean", default: false },
    "no-build": { type: "boolean", default: false },
    out: { type: "string", default: join(root, "bench-results") },
    "service-stdout": { type: "string" },
    concurrency: { type: "string" },
    modes: { type: "string" },
    "compare-binary": { type: "string" },
    phases: { type: "string" },
    "default-fetch-limit": { type: "boolean", default: false },
    workers: { type: "string" },
    peer: { type: "boolean" },
    "no-peer": { type: "boolean", default: false },
    limits: { type: "boolean", default: false },
    warmup: { type: "string" },
  },
  strict: true,
});

const smoke = opts.smoke;
const durationS = Number(opts.duration ?? (smoke ? 1 : opts.soak ? 600 : 5));
const rounds = Number(opts.rounds ?? (smoke ? 1 : 3));
/**
 * Seconds of load per target and mode before anything is recorded. The service's JIT is still
 * compiling well after 2 s (its compiler threads took ~12 µs per request at c10 then, ~1 after
 * 20 s) while the floor's little code is compiled at once: a short warm-up measures the service
 * half-compiled against a compiled floor. A gateway runs for days; steady state is what counts.
 */
const warmupS = Number(opts.warmup ?? 10);
const pacedRate = Number(opts.rate ?? 1000);
const wrkThreads = Number(opts.threads);
const concurrencies = opts.concurrency ? opts.concurrency.split(",").map(Number) : smoke ? [10] : [10, 100];
const allModes = ["json", "stream"] as const;
type Mode = (typeof allModes)[number];
const modes: Mode[] = opts.modes ? (opts.modes.split(",") as Mode[]) : [...allModes];
/**
 * Other builds of the service (`--compare-binary a,b`), to measure a change in one run: targets
 * named after their files.
 */
const compared = (opts["compare-binary"] ?? "")
  .split(",")
  .filter(Boolean)
  .map((path) => ({ name: basename(path), path }));
type TargetName = string;
type Phase = "saturated" | "paced";
const phases: Phase[] = opts.phases ? (opts.phases.split(",") as Phase[]) : ["saturated", "paced"];
/**
 * The service's process again, through its OpenAI door (`POST /v1/chat/completions`) with the
 * requests the `openai` SDK sends: beside `service`, what the door's translation costs.
 */
const OPENAI_DOOR = "service-openai-door";
/**
 * `floor`: the least a gateway keeping our contract must do (scripts/bench/translating-proxy.ts);
 * it speaks the contract like the service, so it gets the service's requests.
 */
const targetNames: TargetName[] = ["direct", "proxy", "floor", "service", OPENAI_DOOR, ...compared.map((c) => c.name)];
/** The peer gateway's row, when it is installed: it speaks OpenAI, like the proxy. */
const PEER = "portkey";
const openAIShaped = new Set<TargetName>(["direct", "proxy", PEER, OPENAI_DOOR]);
/** Sent our API's requests (`/api/v1/completions`): the service, the floor and compared builds. */
const speaksOurApi = (target: TargetName) => !openAIShaped.has(target);
const usePeer = !opts["no-peer"] && (opts.peer ?? !smoke);
/**
 * `--limits`: the service again, with rate limits configured and counted in a private Redis
 * (Debian's `redis-server`), limits high enough never to refuse: beside `service`, what one limit
 * check (a Lua script round trip before the call, a settle after it) costs.
 */
const LIMITED = "service-limits";
const useLimits = opts.limits;
const NEVER_REFUSED = JSON.stringify({ default: { requestsPerMinute: 1_000_000_000, tokensPerMinute: 1_000_000_000_000 } });
/** WORKERS for the service under test (`--workers N`); unset: the service's default (1). */
const workers = opts.workers;
if (workers !== undefined && !/^(\d+|auto)$/.test(workers)) throw new Error(`--workers takes a number or auto, not ${workers}`);
/** Extra request headers per target (the peer is told its provider and upstream by headers). */
const targetHeaders: Record<TargetName, Record<string, string>> = {};

// ---------------------------------------------------------------------------------------------
// processes

const children: Subprocess[] = [];
const tmp = mkdtempSync(join(tmpdir(), "completion-bench-"));

function cleanup(): void {
  for (const c of children) {
    try {
      c.kill("SIGKILL");
    } catch {}
  }
  rmSync(tmp, { recursive: true, force: true });
}
process.on("SIGINT", () => {
  cleanup();
  process.exit(130);
});

async function readPortLine(proc: Subprocess<"ignore", "pipe", "inherit">, name: string): Promise<number> {
  const reader = proc.stdout.getReader();
  let text = "";
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    const m = /port=(\d+)/.exec(text);
    if (m) {
      reader.releaseLock();
      // Keep draining so the child never blocks on a full pipe.
      void (async () => {
        for await (const _ of proc.stdout) {
        }
      })();
      return Number(m[1]);
    }
  }
  throw new Error(`${name} did not report its port: ${text}`);
}

async function startScript(file: string, env: Record<string, string>, name: string): Promise<{ proc: Subprocess; port: number }> {
  const proc = Bun.spawn(["bun", join(import.meta.dir, "bench", file)], {
    env: { ...process.env, PORT: "0", ...env },
    stdout: "pipe",
    stderr: "inherit",
  });
  children.push(proc);
  return { proc, port: await readPortLine(proc, name) };
}

async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const p = s.port!;
  s.stop(true);
  return p;
}

/** A private `redis-server` on a free loopback port, no persistence; resolves with its port once it answers. */
async function startRedis(): Promise<number> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "bench-redis-"));
  const proc = Bun.spawn(
    ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
    {
      stdout: "ignore",
      stderr: "inherit",
    },
  );
  children.push(proc);
  for (let i = 0; i < 100; i++) {
    const ping = Bun.spawnSync(["redis-cli", "-p", String(port), "ping"], { stdout: "pipe", stderr: "ignore" });
    if (ping.stdout.toString().trim() === "PONG") return port;
    await Bun.sleep(50);
  }
  throw new Error("redis-server did not answer within 5 s (install Debian's redis-server for --limits)");
}

const binary = join(root, "dist/completion-service");

/** The runtime settings the container image and `scripts/start.sh` set (Dockerfile). */
const IMAGE_ENV = { BUN_CONFIG_MAX_HTTP_REQUESTS: "10000", MIMALLOC_PURGE_DELAY: "100", BUN_JSC_forceRAMSize: "1073741824" };

/**
 * Starts the compiled service as deployed (`IMAGE_ENV`; a key given `undefined` in `extraEnv` is
 * left out); resolves once `/api/v1/health` answers 200, with the time it took.
 */
async function startService(
  mappingPath: string,
  extraEnv: Record<string, string | undefined> = {},
  executable = binary,
): Promise<{ proc: Subprocess; port: number; startupMs: number }> {
  const port = await freePort();
  const stdout = opts["service-stdout"] ? Bun.file(opts["service-stdout"]) : "ignore";
  const t0 = performance.now();
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    PORT: String(port),
    HOST: "127.0.0.1",
    LOCAL_MODEL_PROVIDERS_CONFIG_PATH: mappingPath,
    ...IMAGE_ENV,
    ...(workers !== undefined && { WORKERS: workers }),
    ...extraEnv,
  };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const proc = Bun.spawn([executable], {
    env: env as Record<string, string>,
    stdout,
    // Only a crash writes here (logs go to stdout): let it show.
    stderr: "inherit",
  });
  children.push(proc);
  const health = `http://127.0.0.1:${port}/api/v1/health`;
  while (performance.now() - t0 < 15_000) {
    try {
      const res = await fetch(health);
      if (res.status === 200) {
        const startupMs = performance.now() - t0;
        await res.arrayBuffer();
        return { proc, port, startupMs };
      }
    } catch {}
    if (proc.exitCode !== null) throw new Error(`the service exited with ${proc.exitCode} before it was healthy`);
    await Bun.sleep(2);
  }
  throw new Error("the service did not become healthy within 15 s");
}

async function stopProcess(proc: Subprocess): Promise<void> {
  proc.kill("SIGKILL");
  await proc.exited;
  const i = children.indexOf(proc);
  if (i >= 0) children.splice(i, 1);
}

// ---------------------------------------------------------------------------------------------
// /proc

const CLOCK_TICKS = 100;

function statFields(pid: number): string[] {
  // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** `pid` and its descendants (a service with WORKERS > 1 is a supervisor and its workers). */
function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(statFields(Number(entry))[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {}
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(parents.get(tree[i]!) ?? []));
  return tree;
}

/** CPU seconds of `pid` and its children (utime and stime, fields 14 and 15). */
function cpuSeconds(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      const fields = statFields(p);
      total += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {}
  }
  return total;
}

/** Resident memory of `pid` and its children, added up (pages they share count once per process). */
function memoryMB(pid: number): { rss: number; hwm: number } {
  let rss = 0;
  let hwm = 0;
  for (const p of processTree(pid)) {
    try {
      const status = readFileSync(`/proc/${p}/status`, "utf8");
      const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
      rss += kb("VmRSS") / 1024;
      hwm += kb("VmHWM") / 1024;
    } catch {}
  }
  return { rss, hwm };
}

/** Samples a process's RSS every `everyMs` until stopped; returns the peak. */
function rssSampler(pid: number, everyMs = 250): { stop(): number } {
  let peak = memoryMB(pid).rss;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, memoryMB(pid).rss);
    } catch {}
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      try {
        peak = Math.max(peak, memoryMB(pid).rss);
      } catch {}
      return peak;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// load

const prompt = [{ role: "user", content: "Say twenty words." }];
function bodyFor(target: TargetName, mode: Mode): string {
  const stream = mode === "stream";
  if (speaksOurApi(target)) return JSON.stringify({ model: "bench", messages: prompt, stream });
  return JSON.stringify({
    // The door is asked for the mapping's model, as the service's clients do; the others for the upstream's.
    model: target === OPENAI_DOOR ? "bench" : "gpt-4o-mini",
    messages: prompt,
    stream,
    ...(stream && { stream_options: { include_usage: true } }),
  });
}

interface LoadResult {
  requests: number;
  rps: number;
  p50: number; // ms
  p99: number; // ms
  errors: number;
  ttfbP50?: number; // ms
  ttfbP99?: number; // ms
}

async function ensureWrk(): Promise<void> {
  if (Bun.which("wrk")) return;
  console.error("wrk is missing; installing it from Debian's packages (apt-get install -y wrk)");
  const sudo = process.getuid?.() === 0 ? [] : ["sudo"];
  for (const cmd of [
    [...sudo, "apt-get", "update", "-qq"],
    [...sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"],
  ]) {
    const r = Bun.spawnSync(cmd, { stdout: "inherit", stderr: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    if (r.exitCode !== 0) throw new Error(`could not install wrk (${cmd.join(" ")} exited ${r.exitCode})`);
  }
  if (!Bun.which("wrk")) throw new Error("wrk is still missing after apt-get install");
}

let luaCounter = 0;
function wrkScript(body: string, delayMs?: number, headers: Record<string, string> = {}): string {
  const file = join(tmp, `post-${luaCounter++}.lua`);
  writeFileSync(
    file,
    `wrk.method = "POST"
wrk.body = [==[${body}]==]
wrk.headers["Content-Type"] = "application/json"
${Object.entries(headers)
  .map(([name, value]) => `wrk.headers["${name}"] = "${value}"`)
  .join("\n")}
${delayMs !== undefined ? `function delay() return ${delayMs} end\n` : ""}
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_RESULT {"requests":%d,"durationUs":%d,"p50":%d,"p99":%d,"errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
`,
  );
  return file;
}

async function runWrk(
  url: string,
  body: string,
  concurrency: number,
  seconds: number,
  headers: Record<string, string> = {},
): Promise<LoadResult> {
  const script = wrkScript(body, undefined, headers);
  const threads = Math.min(wrkThreads, concurrency);
  const proc = Bun.spawn(
    ["wrk", `-t${threads}`, `-c${concurrency}`, `-d${Math.max(1, Math.round(seconds))}s`, "--timeout", "10s", "-s", script, url],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  const m = /BENCH_RESULT (\{.*\})/.exec(out);
  if (!m) throw new Error(`wrk gave no result (exit ${proc.exitCode}): ${out}\n${err}`);
  const r = JSON.parse(m[1]!) as { requests: number; durationUs: number; p50: number; p99: number; errors: number };
  return { requests: r.requests, rps: r.requests / (r.durationUs / 1e6), p50: r.p50 / 1000, p99: r.p99 / 1000, errors: r.errors };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * A Bun client at a fixed offered rate (`rate` requests/s over `concurrency` workers): latency to
 * the first body chunk and to the end, well below saturation.
 */
async function runPaced(
  url: string,
  body: string,
  concurrency: number,
  rate: number,
  seconds: number,
  extraHeaders: Record<string, string> = {},
): Promise<LoadResult> {
  const interval = (concurrency * 1000) / rate;
  const start = performance.now();
  const end = start + seconds * 1000;
  const ttfb: number[] = [];
  const total: number[] = [];
  let errors = 0;
  const headers = { "content-type": "application/json", ...extraHeaders };
  const worker = async () => {
    await Bun.sleep(Math.random() * interval);
    let next = performance.now();
    while (next < end) {
      const t0 = performance.now();
      try {
        const res = await fetch(url, { method: "POST", headers, body });
        const reader = res.body!.getReader();
        let chunk = await reader.read();
        const t1 = performance.now();
        while (!chunk.done) chunk = await reader.read();
        const t2 = performance.now();
        if (res.status !== 200) errors++;
        else {
          ttfb.push(t1 - t0);
          total.push(t2 - t0);
        }
      } catch {
        errors++;
      }
      next += interval;
      const wait = next - performance.now();
      if (wait > 0) await Bun.sleep(wait);
      else next = performance.now();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - start) / 1000;
  ttfb.sort((a, b) => a - b);
  total.sort((a, b) => a - b);
  return {
    requests: total.length,
    rps: total.length / elapsed,
    p50: percentile(total, 50),
    p99: percentile(total, 99),
    errors,
    ttfbP50: percentile(ttfb, 50),
    ttfbP99: percentile(ttfb, 99),
  };
}

/** One request per target and mode, checked, before anything is timed. */
async function sanityCheck(urls: Record<TargetName, string>): Promise<void> {
  for (const target of targetNames) {
    for (const mode of modes) {
      const res = await fetch(urls[target]!, {
        method: "POST",
        headers: { "content-type": "application/json", ...targetHeaders[target] },
        body: bodyFor(target, mode),
      });
      const text = await res.text();
      const ok =
        res.status === 200 &&
        (speaksOurApi(target)
          ? mode === "stream"
            ? text.trim().split("\n").length === 23 && text.includes('"finishReason":"stop"')
            : JSON.parse(text).outputText?.startsWith("Word")
          : mode === "stream"
            ? text.includes("[DONE]") && (target !== OPENAI_DOOR || text.includes('"prompt_tokens"'))
            : text.includes('"chat.completion"'));
      if (!ok) throw new Error(`sanity check failed for ${target} ${mode}: ${res.status} ${text.slice(0, 300)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// reporting helpers

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const f = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : "–");
const sign = (x: number, digits = 2) => (Number.isFinite(x) ? `${x >= 0 ? "+" : ""}${x.toFixed(digits)}` : "–");

interface TargetCheck {
  name: string;
  value: string;
  limit: string;
  pass: boolean;
}

function writeResults(kind: string, data: unknown): string {
  mkdirSync(opts.out, { recursive: true });
  const file = join(opts.out, `${new Date().toISOString().replace(/[:.]/g, "-")}-${kind}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

function machine() {
  const wrk = Bun.spawnSync(["wrk", "-v"]).stdout.toString().split("\n")[0]?.trim();
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model, bun: Bun.version, wrk };
}

function writeMapping(upstreamPort: number): string {
  const file = join(tmp, "mapping.json");
  writeFileSync(
    file,
    JSON.stringify({
      providers: { fake: { type: "openai", baseUrl: `http://127.0.0.1:${upstreamPort}/v1`, apiKey: "bench" } },
      models: {
        bench: { targets: [{ provider: "fake", deploymentName: "gpt-4o-mini" }] },
        "bench-slow": { targets: [{ provider: "fake", deploymentName: "slow" }] },
      },
    }),
  );
  return file;
}

function build(): void {
  if (opts["no-build"] && existsSync(binary)) return;
  const t0 = performance.now();
  const r = Bun.spawnSync(["bun", "run", "build"], { cwd: root, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`bun run build failed:\n${r.stderr.toString()}`);
  console.error(`built ${binary} in ${Math.round(performance.now() - t0)} ms`);
}

// ---------------------------------------------------------------------------------------------
// the comparison

interface RunRecord {
  round: number;
  phase: "saturated" | "paced";
  mode: Mode;
  concurrency: number;
  target: TargetName;
  result: LoadResult;
  /** CPU seconds of the front process (upstream, proxy or service) over the run, per request, in µs. */
  cpuUsPerRequest: number;
  cpuCores: number;
}

async function comparison(): Promise<number> {
  await ensureWrk();
  build();
  const upstream = await startScript("fake-upstream.ts", {}, "fake upstream");
  const proxy = await startScript("bare-proxy.ts", { UPSTREAM: `http://127.0.0.1:${upstream.port}` }, "bare proxy");
  const floor = await startScript("translating-proxy.ts", { UPSTREAM: `http://127.0.0.1:${upstream.port}` }, "translating proxy");
  const mapping = writeMapping(upstream.port);

  // Start-up time: a few fresh starts, the last one kept for the measurements.
  const startups: number[] = [];
  let service!: Awaited<ReturnType<typeof startService>>;
  const starts = smoke ? 1 : 5;
  for (let i = 0; i < starts; i++) {
    service = await startService(mapping);
    startups.push(service.startupMs);
    if (i < starts - 1) await stopProcess(service.proc);
  }
  const idleRss = memoryMB(service.proc.pid).rss;
  const urls: Record<TargetName, string> = {
    direct: `http://127.0.0.1:${upstream.port}/v1/chat/completions`,
    proxy: `http://127.0.0.1:${proxy.port}/v1/chat/completions`,
    floor: `http://127.0.0.1:${floor.port}/`,
    service: `http://127.0.0.1:${service.port}/api/v1/completions`,
    [OPENAI_DOOR]: `http://127.0.0.1:${service.port}/v1/chat/completions`,
  };
  const pids: Record<TargetName, number> = {
    direct: upstream.proc.pid,
    proxy: proxy.proc.pid,
    floor: floor.proc.pid,
    service: service.proc.pid,
    [OPENAI_DOOR]: service.proc.pid,
  };
  for (const c of compared) {
    const other = await startService(mapping, {}, c.path);
    urls[c.name] = `http://127.0.0.1:${other.port}/api/v1/completions`;
    pids[c.name] = other.proc.pid;
  }
  if (useLimits) {
    const redisPort = await startRedis();
    const limited = await startService(mapping, { LIMITS: NEVER_REFUSED, REDIS_URL: `redis://127.0.0.1:${redisPort}` });
    targetNames.push(LIMITED);
    urls[LIMITED] = `http://127.0.0.1:${limited.port}/api/v1/completions`;
    pids[LIMITED] = limited.proc.pid;
  }
  let peerNote = usePeer ? "" : "Peer (Portkey) not run: --no-peer, or --smoke without --peer.";
  if (usePeer) {
    const peer = await startPeer(`http://127.0.0.1:${upstream.port}/v1`, (proc) => children.push(proc));
    if ("skipped" in peer) {
      peerNote = `Peer (Portkey) skipped: ${peer.skipped}`;
      console.error(peerNote);
    } else {
      targetNames.push(PEER);
      urls[PEER] = peer.url;
      pids[PEER] = peer.pid;
      targetHeaders[PEER] = peer.headers;
      peerNote = `Peer: ${peer.description}.`;
    }
  }
  await sanityCheck(urls);

  // Warm-up: JIT and connection pools, not recorded.
  if (!smoke) {
    for (const target of targetNames) {
      for (const mode of modes) await runWrk(urls[target]!, bodyFor(target, mode), 100, warmupS, targetHeaders[target]);
    }
  }

  const runs: RunRecord[] = [];
  const rss = rssSampler(service.proc.pid);
  const total = rounds * modes.length * concurrencies.length * phases.length * targetNames.length;
  let n = 0;
  for (let round = 0; round < rounds; round++) {
    for (const mode of modes) {
      for (const concurrency of concurrencies) {
        for (const phase of phases) {
          // A B C, then B C A, then C A B: each target runs first, middle and last alike.
          const order = targetNames.map((_, i) => targetNames[(i + round) % targetNames.length]!);
          for (const target of order) {
            n++;
            const body = bodyFor(target, mode);
            const cpu0 = cpuSeconds(pids[target]!);
            const t0 = performance.now();
            const result =
              phase === "saturated"
                ? await runWrk(urls[target]!, body, concurrency, durationS, targetHeaders[target])
                : await runPaced(urls[target]!, body, concurrency, pacedRate, smoke ? 0.5 : durationS, targetHeaders[target]);
            const wall = (performance.now() - t0) / 1000;
            const cpu = cpuSeconds(pids[target]!) - cpu0;
            runs.push({
              round,
              phase,
              mode,
              concurrency,
              target,
              result,
              cpuUsPerRequest: result.requests ? (cpu / result.requests) * 1e6 : NaN,
              cpuCores: cpu / wall,
            });
            console.error(
              `[${n}/${total}] ${phase} ${mode} c${concurrency} ${target}: ${f(result.rps, 0)} req/s, p50 ${f(result.p50)} ms, p99 ${f(result.p99)} ms` +
                (result.ttfbP50 !== undefined ? `, first chunk p50 ${f(result.ttfbP50)} ms` : "") +
                (result.errors ? `, ${result.errors} errors` : ""),
            );
          }
        }
      }
    }
  }
  const peakRss = rss.stop();
  const hwm = memoryMB(service.proc.pid).hwm;
  const comparedRss = compared.map((c) => `${c.name} ${f(memoryMB(pids[c.name]!).hwm, 1)} MB`);

  // Medians over rounds.
  type Summary = {
    rps: number;
    p50: number;
    p99: number;
    ttfbP50: number;
    ttfbP99: number;
    cpuUs: number;
    cpuCores: number;
    errors: number;
  };
  const summary: Record<string, Record<TargetName, Summary>> = {};
  for (const phase of phases) {
    for (const mode of modes) {
      for (const concurrency of concurrencies) {
        const key = `${phase} ${mode} c${concurrency}`;
        summary[key] = {} as Record<TargetName, Summary>;
        for (const target of targetNames) {
          const rs = runs.filter((r) => r.phase === phase && r.mode === mode && r.concurrency === concurrency && r.target === target);
          summary[key]![target] = {
            rps: median(rs.map((r) => r.result.rps)),
            p50: median(rs.map((r) => r.result.p50)),
            p99: median(rs.map((r) => r.result.p99)),
            ttfbP50: median(rs.map((r) => r.result.ttfbP50 ?? NaN)),
            ttfbP99: median(rs.map((r) => r.result.ttfbP99 ?? NaN)),
            cpuUs: median(rs.map((r) => r.cpuUsPerRequest)),
            cpuCores: median(rs.map((r) => r.cpuCores)),
            errors: rs.reduce((a, r) => a + r.result.errors, 0),
          };
        }
      }
    }
  }

  // Tables.
  const lines: string[] = [];
  lines.push(`### Saturated (wrk, closed loop, ${durationS} s × ${rounds} rounds, medians)`, "");
  lines.push(
    "| mode | conc. | target | req/s | vs proxy | p50 ms | p99 ms | added p50 ms | added p99 ms | CPU µs/req | CPU cores | errors |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const mode of phases.includes("saturated") ? modes : []) {
    for (const c of concurrencies) {
      const s = summary[`saturated ${mode} c${c}`]!;
      for (const t of targetNames) {
        const x = s[t]!;
        lines.push(
          `| ${mode} | ${c} | ${t} | ${f(x.rps, 0)} | ${t === "direct" ? "" : `${f((x.rps / s.proxy!.rps) * 100, 0)} %`} | ${f(x.p50)} | ${f(x.p99)} | ${t === "direct" ? "" : sign(x.p50 - s.direct!.p50)} | ${t === "direct" ? "" : sign(x.p99 - s.direct!.p99)} | ${f(x.cpuUs, 0)} | ${f(x.cpuCores)} | ${x.errors} |`,
        );
      }
    }
  }
  lines.push("", `### Paced (Bun client, ${pacedRate} req/s offered, ${durationS} s × ${rounds} rounds, medians)`, "");
  lines.push(
    "| mode | conc. | target | req/s | p50 ms | p99 ms | added p50 ms | added p99 ms | first chunk p50 ms | added first chunk p50 ms | CPU µs/req | errors |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const mode of phases.includes("paced") ? modes : []) {
    for (const c of concurrencies) {
      const s = summary[`paced ${mode} c${c}`]!;
      for (const t of targetNames) {
        const x = s[t]!;
        const direct = t === "direct";
        lines.push(
          `| ${mode} | ${c} | ${t} | ${f(x.rps, 0)} | ${f(x.p50)} | ${f(x.p99)} | ${direct ? "" : sign(x.p50 - s.direct!.p50)} | ${direct ? "" : sign(x.p99 - s.direct!.p99)} | ${mode === "stream" ? f(x.ttfbP50) : ""} | ${mode === "stream" && !direct ? sign(x.ttfbP50 - s.direct!.ttfbP50) : ""} | ${f(x.cpuUs, 0)} | ${x.errors} |`,
        );
      }
    }
  }

  // Targets: the service against the bare proxy of the same run.
  const checks: TargetCheck[] = [];
  for (const mode of phases.includes("saturated") ? modes : []) {
    for (const c of concurrencies) {
      const s = summary[`saturated ${mode} c${c}`]!;
      const ratio = s.service!.rps / s.floor!.rps;
      checks.push({
        name: `${mode} throughput c${c} (service / floor)`,
        value: `${f(ratio * 100, 0)} %`,
        limit: "≥ 75 %",
        pass: ratio >= 0.75,
      });
    }
  }
  for (const mode of phases.includes("paced") ? modes : []) {
    for (const c of concurrencies) {
      const s = summary[`paced ${mode} c${c}`]!;
      const d50 = s.service!.p50 - s.proxy!.p50;
      const d99 = s.service!.p99 - s.proxy!.p99;
      checks.push({
        name: `${mode} added latency p50 c${c} (service − proxy)`,
        value: `${sign(d50)} ms`,
        limit: "≤ 0.5 ms",
        pass: d50 <= 0.5,
      });
      checks.push({ name: `${mode} added latency p99 c${c} (service − proxy)`, value: `${sign(d99)} ms`, limit: "≤ 3 ms", pass: d99 <= 3 });
      if (mode === "stream") {
        const dt = s.service!.ttfbP50 - s.proxy!.ttfbP50;
        checks.push({
          name: `added time to first chunk p50 c${c} (service − proxy)`,
          value: `${sign(dt)} ms`,
          limit: "≤ 0.5 ms",
          pass: dt <= 0.5,
        });
      }
    }
  }
  const serviceErrors = runs.filter((r) => r.target === "service").reduce((a, r) => a + r.result.errors, 0);
  checks.push({ name: "service errors", value: String(serviceErrors), limit: "0", pass: serviceErrors === 0 });
  const doorErrors = runs.filter((r) => r.target === OPENAI_DOOR).reduce((a, r) => a + r.result.errors, 0);
  checks.push({ name: "service errors through the OpenAI door", value: String(doorErrors), limit: "0", pass: doorErrors === 0 });
  checks.push({ name: "service peak RSS (c100 included)", value: `${f(peakRss, 1)} MB`, limit: "≤ 150 MB", pass: peakRss <= 150 });
  const startup = median(startups);
  checks.push({
    name: "start-up to healthy /api/v1/health (median)",
    value: `${f(startup, 0)} ms`,
    limit: "≤ 1000 ms",
    pass: startup <= 1000,
  });

  lines.push("", "### Targets", "", "| target | value | limit | result |", "|---|---|---|---|");
  for (const c of checks) lines.push(`| ${c.name} | ${c.value} | ${c.limit} | ${c.pass ? "PASS" : "FAIL"} |`);
  const floorLines: string[] = [];
  for (const mode of phases.includes("saturated") ? modes : []) {
    for (const c of concurrencies) {
      const s = summary[`saturated ${mode} c${c}`]!;
      const peer = s[PEER] ? ` ${f((s[PEER]!.rps / s.floor!.rps) * 100, 0)} % |` : "";
      floorLines.push(
        `| ${mode} c${c} | ${f((s.floor!.rps / s.proxy!.rps) * 100, 0)} % | ${f((s.service!.rps / s.proxy!.rps) * 100, 0)} % | ${f((s.service!.rps / s.floor!.rps) * 100, 0)} % |${peer}`,
      );
    }
  }
  if (floorLines.length) {
    lines.push("", "### Throughput against the floor (the least a gateway keeping the contract does)", "");
    const peerHead = targetNames.includes(PEER) ? [" portkey / floor |", "---|"] : ["", ""];
    lines.push(
      `| run | floor / proxy | service / proxy | service / floor |${peerHead[0]}`,
      `|---|---|---|---|${peerHead[1]}`,
      ...floorLines,
    );
  }
  // The OpenAI door against our own API: the same process, so the difference is the door's work
  // (the request translated in, each chunk translated out as SSE).
  const doorLines: string[] = [];
  const doorMinusService = (s: Record<TargetName, Summary> | undefined, pick: (x: Summary) => number) =>
    s ? pick(s[OPENAI_DOOR]!) - pick(s.service!) : NaN;
  for (const mode of modes) {
    for (const c of concurrencies) {
      const sat = summary[`saturated ${mode} c${c}`];
      const paced = summary[`paced ${mode} c${c}`];
      const ratio = sat ? `${f((sat[OPENAI_DOOR]!.rps / sat.service!.rps) * 100, 0)} %` : "–";
      const firstChunk = mode === "stream" ? sign(doorMinusService(paced, (x) => x.ttfbP50)) : "";
      doorLines.push(
        `| ${mode} | ${c} | ${ratio} | ${sign(
          doorMinusService(sat, (x) => x.cpuUs),
          0,
        )} | ${sign(doorMinusService(paced, (x) => x.p50))} | ${sign(doorMinusService(paced, (x) => x.p99))} | ${firstChunk} |`,
      );
    }
  }
  lines.push("", `### The OpenAI door (${OPENAI_DOOR} against service: one process, only the door differs)`, "");
  lines.push(
    "| mode | conc. | req/s door / service (saturated) | CPU µs/req door − service (saturated) | added p50 ms (paced) | added p99 ms (paced) | added first chunk p50 ms (paced) |",
    "|---|---|---|---|---|---|---|",
    ...doorLines,
  );
  lines.push(
    "",
    peerNote,
    `Service under test: WORKERS=${workers ?? "1 (unset)"}${workers && workers !== "1" ? " (CPU and RSS: supervisor and workers together)" : ""}.`,
  );
  lines.push(
    "",
    `Service RSS: ${f(idleRss, 1)} MB idle, ${f(peakRss, 1)} MB peak (VmHWM ${f(hwm, 1)} MB). Start-ups: ${startups.map((s) => f(s, 0)).join(", ")} ms.`,
  );
  if (comparedRss.length) lines.push(`Compared builds, peak RSS (VmHWM): ${comparedRss.join(", ")}.`);
  console.log(lines.join("\n"));

  const file = writeResults(smoke ? "smoke" : "comparison", {
    kind: "comparison",
    date: new Date().toISOString(),
    machine: machine(),
    options: {
      durationS,
      warmupS: smoke ? 0 : warmupS,
      rounds,
      pacedRate,
      wrkThreads,
      smoke,
      concurrencies,
      modes,
      compareBinary: opts["compare-binary"] ?? null,
      workers: workers ?? null,
      peer: targetNames.includes(PEER),
    },
    peer: peerNote,
    startupMs: startups,
    rss: { idleMB: idleRss, peakMB: peakRss, hwmMB: hwm },
    summary,
    checks,
    runs,
    table: lines.join("\n"),
  });
  console.log(`\nresults: ${file}`);
  const failed = checks.filter((c) => !c.pass);
  if (smoke) return 0;
  return opts.strict && failed.length ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// soak

async function soak(): Promise<number> {
  await ensureWrk();
  build();
  const upstream = await startScript("fake-upstream.ts", {}, "fake upstream");
  const service = await startService(writeMapping(upstream.port));
  const url = `http://127.0.0.1:${service.port}/api/v1/completions`;
  const everyS = smoke ? 1 : 30;
  const samples: { t: number; rssMB: number }[] = [];
  const pid = service.proc.pid;
  const t0 = performance.now();
  samples.push({ t: 0, rssMB: memoryMB(pid).rss });
  console.error(`soak: ${durationS} s at c100, streams; RSS every ${everyS} s`);
  const timer = setInterval(() => {
    const s = { t: Math.round((performance.now() - t0) / 1000), rssMB: memoryMB(pid).rss };
    samples.push(s);
    console.log(`t=${s.t}s rss=${f(s.rssMB, 1)} MB`);
  }, everyS * 1000);
  const cpu0 = cpuSeconds(pid);
  const result = await runWrk(url, bodyFor("service", "stream"), 100, durationS);
  clearInterval(timer);
  const cpu = cpuSeconds(pid) - cpu0;
  samples.push({ t: Math.round((performance.now() - t0) / 1000), rssMB: memoryMB(pid).rss });

  // The rule: leave out the warm-up (the first minute, or the first fifth of a shorter soak) and
  // split the remaining samples in thirds; the RSS "keeps growing" when each third's average is
  // above the one before AND the last third's average is more than 10 % above the first third's.
  const warmUpS = Math.min(60, durationS / 5);
  const steady = samples.filter((s) => s.t >= warmUpS);
  const third = Math.max(1, Math.floor(steady.length / 3));
  const avg = (xs: { rssMB: number }[]) => xs.reduce((a, s) => a + s.rssMB, 0) / xs.length;
  const first = avg(steady.slice(0, third));
  const middle = avg(
    steady.slice(third, steady.length - third).length ? steady.slice(third, steady.length - third) : steady.slice(0, third),
  );
  const last = avg(steady.slice(-third));
  const growth = last / first - 1;
  const growing = first < middle && middle < last && growth > 0.1;
  const peak = Math.max(...samples.map((s) => s.rssMB));
  // The soak fails on growth and errors; the RSS level is the comparison's target, shown here too.
  const checks: TargetCheck[] = [
    {
      name: "RSS growth, last third vs first third",
      value: `${sign(growth * 100, 1)} %`,
      limit: "not (monotonic and > +10 %)",
      pass: !growing,
    },
    { name: "errors", value: String(result.errors), limit: "0", pass: result.errors === 0 },
  ];
  const peakCheck: TargetCheck = { name: "peak RSS (not a soak failure)", value: `${f(peak, 1)} MB`, limit: "≤ 150 MB", pass: peak <= 150 };
  console.log(
    [
      `### Soak: ${durationS} s, streams, c100`,
      "",
      `${f(result.rps, 0)} req/s, ${result.requests} requests, p50 ${f(result.p50)} ms, p99 ${f(result.p99)} ms, service CPU ${f((cpu / result.requests) * 1e6, 0)} µs/req`,
      `RSS thirds: ${f(first, 1)} → ${f(middle, 1)} → ${f(last, 1)} MB`,
      "",
      "| target | value | limit | result |",
      "|---|---|---|---|",
      ...[...checks, peakCheck].map((c) => `| ${c.name} | ${c.value} | ${c.limit} | ${c.pass ? "PASS" : "FAIL"} |`),
    ].join("\n"),
  );
  const file = writeResults("soak", {
    kind: "soak",
    date: new Date().toISOString(),
    machine: machine(),
    durationS,
    result,
    samples,
    thirds: { first, middle, last },
    checks: [...checks, peakCheck],
  });
  console.log(`\nresults: ${file}`);
  return checks.every((c) => c.pass) ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// many open streams

async function manyStreams(): Promise<number> {
  build();
  const count = Number(opts.streams ?? (smoke ? 200 : 5000));
  const chunkMs = smoke ? 100 : 1500;
  const upstream = await startScript("fake-upstream.ts", { SLOW_CHUNK_MS: String(chunkMs) }, "fake upstream");
  // Bun's fetch runs at most BUN_CONFIG_MAX_HTTP_REQUESTS requests at once (256 by default), in
  // the service's upstream calls as in this client: both need it raised to hold thousands.
  const maxRequests = String(Math.max(count + 100, 256));
  // --default-fetch-limit leaves the service at Bun's default, to show what that does.
  const service = await startService(
    writeMapping(upstream.port),
    opts["default-fetch-limit"] ? { BUN_CONFIG_MAX_HTTP_REQUESTS: undefined } : { BUN_CONFIG_MAX_HTTP_REQUESTS: maxRequests },
  );
  const pid = service.proc.pid;
  const idle = memoryMB(pid).rss;
  const holder = Bun.spawn(
    ["bun", join(import.meta.dir, "bench", "hold-streams.ts"), `http://127.0.0.1:${service.port}/api/v1/completions`, String(count)],
    {
      env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: maxRequests },
      stdout: "pipe",
      stderr: "inherit",
    },
  );
  children.push(holder);
  let peakRss = idle;
  let rssAtPeakOpen = idle;
  let peakOpen = 0;
  let resultLine = "";
  const sampler = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, memoryMB(pid).rss);
    } catch {}
  }, 200);
  for await (const line of readLines(holder.stdout)) {
    const m = /open=(\d+)/.exec(line);
    if (m) {
      const open = Number(m[1]);
      if (open >= peakOpen) {
        peakOpen = open;
        rssAtPeakOpen = memoryMB(pid).rss;
      }
      console.error(`${line} service rss=${f(memoryMB(pid).rss, 1)} MB`);
    }
    if (line.startsWith("RESULT ")) resultLine = line.slice(7);
  }
  clearInterval(sampler);
  await holder.exited;
  if (!resultLine) throw new Error("the stream holder gave no result");
  const r = JSON.parse(resultLine) as {
    requested: number;
    completed: number;
    failed: number;
    failures: string[];
    maxConcurrentOpen: number;
    firstChunkMsP50: number;
    firstChunkMsP99: number;
  };
  const checks: TargetCheck[] = [
    {
      name: `streams completed without error`,
      value: `${r.completed} / ${r.requested}`,
      limit: "all",
      pass: r.completed === r.requested && r.failed === 0,
    },
    { name: "streams open at once (peak)", value: String(r.maxConcurrentOpen), limit: `${count}`, pass: r.maxConcurrentOpen >= count },
  ];
  console.log(
    [
      `### ${count} streams held open (upstream: one chunk every ${chunkMs} ms)`,
      "",
      `Service RSS: ${f(idle, 1)} MB idle, ${f(rssAtPeakOpen, 1)} MB with ${peakOpen} open, ${f(peakRss, 1)} MB peak. First chunk p50 ${f(r.firstChunkMsP50, 0)} ms, p99 ${f(r.firstChunkMsP99, 0)} ms.`,
      ...(r.failures.length ? [`Failures: ${r.failures.join("; ")}`] : []),
      "",
      "| target | value | limit | result |",
      "|---|---|---|---|",
      ...checks.map((c) => `| ${c.name} | ${c.value} | ${c.limit} | ${c.pass ? "PASS" : "FAIL"} |`),
    ].join("\n"),
  );
  const file = writeResults(smoke ? "streams-smoke" : "streams", {
    kind: "streams",
    date: new Date().toISOString(),
    machine: machine(),
    count,
    chunkMs,
    rss: { idleMB: idle, atPeakOpenMB: rssAtPeakOpen, peakMB: peakRss },
    holder: r,
    checks,
  });
  console.log(`\nresults: ${file}`);
  return checks.every((c) => c.pass) ? 0 : 1;
}

async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let i: number;
    while ((i = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
    }
  }
  if (buffered) yield buffered;
}

// ---------------------------------------------------------------------------------------------

let code = 1;
try {
  if (opts.soak) code = await soak();
  else if (opts.streams5000 || opts.streams) code = await manyStreams();
  else code = await comparison();
} catch (e) {
  console.error(`bench failed: ${(e as Error).stack ?? e}`);
  code = 1;
} finally {
  cleanup();
}
process.exit(code);
