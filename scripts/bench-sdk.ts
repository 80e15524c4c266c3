/**
 * What the official `openai` SDK costs per request against a plain `fetch` of the same request
 * with a small SSE parser, on the benchmark's fake upstream (scripts/bench/fake-upstream.ts:
 * 20 content chunks, finish, usage, `[DONE]`). Each variant reads every chunk as parsed JSON.
 *
 * - `sdk`: `client.chat.completions.create()` and `for await` over the stream (what the
 *   OpenAI-compatible adapter did before it moved to `fetch` for these figures);
 * - `sdk-raw`: the SDK sends the request (auth, headers, errors as today) and `.asResponse()` hands
 *   back the raw body, parsed by the SSE parser below;
 * - `fetch`: `fetch` and the same parser (what the adapter does now, with the service's parser).
 *
 * Reports CPU µs per request of this process (client side only; the upstream runs apart) and
 * requests/s, medians of alternating rounds.
 *
 *   bun scripts/bench-sdk.ts [--requests 4000] [--rounds 5] [--concurrency 10]
 */
import OpenAI from "openai";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    requests: { type: "string", default: "4000" },
    rounds: { type: "string", default: "5" },
    concurrency: { type: "string", default: "10" },
  },
});
const requests = Number(opts.requests);
const rounds = Number(opts.rounds);
const concurrency = Number(opts.concurrency);

const upstream = Bun.spawn(["bun", join(import.meta.dir, "bench", "fake-upstream.ts")], {
  env: { ...process.env, PORT: "0" },
  stdout: "pipe",
  stderr: "inherit",
});
let port = 0;
{
  const reader = upstream.stdout.getReader();
  let text = "";
  while (!port) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the fake upstream exited: ${text}`);
    text += new TextDecoder().decode(value);
    port = Number(/port=(\d+)/.exec(text)?.[1] ?? 0);
  }
  reader.releaseLock();
}
const baseURL = `http://127.0.0.1:${port}/v1`;
const client = new OpenAI({ apiKey: "bench", baseURL, maxRetries: 0, timeout: 600_000 });
const messages = [{ role: "user" as const, content: "Say twenty words." }];

/**
 * Server-sent events → the JSON of each `data:` event, until `[DONE]`. Text decoded once per
 * network chunk, events found with `indexOf`, not byte by byte.
 */
async function* sseJson(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    let start = 0;
    let end: number;
    while ((end = buffer.indexOf("\n\n", start)) >= 0) {
      const event = buffer.slice(start, end);
      start = end + 2;
      let data = "";
      for (const line of event.split("\n")) {
        const l = line.endsWith("\r") ? line.slice(0, -1) : line;
        if (l.startsWith("data:")) data += data ? `\n${l.slice(l[5] === " " ? 6 : 5)}` : l.slice(l[5] === " " ? 6 : 5);
      }
      if (data === "[DONE]") return;
      if (data) yield JSON.parse(data);
    }
    buffer = buffer.slice(start);
  }
}

type Variant = { name: string; run(): Promise<number> };
const count = (chunk: unknown) => ((chunk as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content ? 1 : 0);

const variants: Variant[] = [
  {
    name: "stream: sdk",
    async run() {
      const stream = await client.chat.completions.create({
        model: "gpt-4o-mini",
        messages,
        stream: true,
        stream_options: { include_usage: true },
      });
      let n = 0;
      for await (const chunk of stream) n += count(chunk);
      return n;
    },
  },
  {
    name: "stream: sdk-raw",
    async run() {
      const res = await client.chat.completions
        .create({ model: "gpt-4o-mini", messages, stream: true, stream_options: { include_usage: true } })
        .asResponse();
      let n = 0;
      for await (const chunk of sseJson(res.body!)) n += count(chunk);
      return n;
    },
  },
  {
    name: "stream: fetch",
    async run() {
      const res = await fetch(`${baseURL}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer bench" },
        body: JSON.stringify({ model: "gpt-4o-mini", messages, stream: true, stream_options: { include_usage: true } }),
      });
      if (!res.ok) throw new Error(`status ${res.status}`);
      let n = 0;
      for await (const chunk of sseJson(res.body!)) n += count(chunk);
      return n;
    },
  },
  {
    name: "json: sdk",
    async run() {
      const c = await client.chat.completions.create({ model: "gpt-4o-mini", messages });
      return c.choices[0]?.message.content ? 20 : 0;
    },
  },
  {
    name: "json: fetch",
    async run() {
      const res = await fetch(`${baseURL}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer bench" },
        body: JSON.stringify({ model: "gpt-4o-mini", messages }),
      });
      if (!res.ok) throw new Error(`status ${res.status}`);
      const c = (await res.json()) as { choices: { message: { content: string } }[] };
      return c.choices[0]?.message.content ? 20 : 0;
    },
  },
];

async function measure(v: Variant, n: number): Promise<{ cpuUs: number; rps: number }> {
  let left = n;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) {
        if ((await v.run()) !== 20) throw new Error(`${v.name}: wrong number of content chunks`);
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { cpuUs: (cpu.user + cpu.system) / n, rps: n / wall };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
try {
  for (const v of variants) await measure(v, Math.min(500, requests)); // warm-up
  const results = new Map<string, { cpuUs: number[]; rps: number[] }>();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(i + r) % variants.length]!;
      const m = await measure(v, requests);
      const acc = results.get(v.name) ?? { cpuUs: [], rps: [] };
      acc.cpuUs.push(m.cpuUs);
      acc.rps.push(m.rps);
      results.set(v.name, acc);
    }
  }
  console.log(
    `| variant | CPU µs/request (client) | requests/s |  (${requests} requests × ${rounds} rounds, concurrency ${concurrency}, medians)`,
  );
  console.log("|---|---|---|");
  for (const v of variants) {
    const m = results.get(v.name)!;
    console.log(`| ${v.name} | ${median(m.cpuUs).toFixed(0)} | ${median(m.rps).toFixed(0)} |`);
  }
} finally {
  upstream.kill("SIGKILL");
}
