/**
 * The service's own JavaScript per request, without sockets: the Elysia app is called with
 * `app.handle()` and the OpenAI provider's `fetch` answers at once with the benchmark upstream's
 * bytes (`fake-answers.ts`). What it measures is everything the service does for a completion —
 * body parsing and validation, routing, the provider's request and translation, the normalizer,
 * the usage event, the log line, the metrics — and nothing of Bun's HTTP server or client, so it
 * is far steadier than the socket benchmark on a busy machine: the figure to compare a hot-path
 * change by.
 *
 * `bun scripts/bench/in-process.ts [--requests 20000] [--rounds 5] [--concurrency 10] [--modes json,stream]`
 * prints, per mode, the CPU time per request (median and minimum over rounds).
 */
import { parseArgs } from "node:util";
import { parseMapping } from "../../src/config/mapping";
import { parseSettings } from "../../src/config/settings";
import { createLogger } from "../../src/observability/logger";
import { createMetrics } from "../../src/observability/metrics";
import { CompletionService } from "../../src/service";
import { createLogSink } from "../../src/usage/log-sink";
import { jsonBody, sseBody } from "./fake-answers";

const { values: opts } = parseArgs({
  options: {
    requests: { type: "string", default: "20000" },
    rounds: { type: "string", default: "5" },
    concurrency: { type: "string", default: "10" },
    modes: { type: "string", default: "json,stream" },
  },
});
const requests = Number(opts.requests);
const rounds = Number(opts.rounds);
const concurrency = Number(opts.concurrency);
const modes = opts.modes.split(",") as ("json" | "stream")[];

// The upstream, answered at once: what a socket round trip would bring, without the socket.
const UPSTREAM = "http://upstream.invalid/v1";
const realFetch = globalThis.fetch;
globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  if (!url.startsWith(UPSTREAM)) return realFetch(input, init);
  const stream = typeof init?.body === "string" && init.body.includes('"stream":true');
  // As the benchmark's upstream sends them (Bun.serve declares the length of a bytes body).
  const body = stream ? sseBody : jsonBody;
  return new Response(body, {
    headers: { "content-type": stream ? "text/event-stream" : "application/json", "content-length": String(body.byteLength) },
  });
}) as typeof fetch;

// Log lines and usage events are built and serialised as in production; only the write is skipped.
let written = 0;
const write = (line: string) => {
  written += line.length;
};
const settings = parseSettings({});
const logger = createLogger("info", {}, write);
const metrics = createMetrics();
const service = new CompletionService({
  settings,
  logger,
  metrics,
  sink: createLogSink(settings, logger, metrics, write),
  mappingSource: {
    description: "in-process bench",
    load: async () =>
      parseMapping(
        {
          providers: { fake: { type: "openai", baseUrl: UPSTREAM, apiKey: "bench" } },
          models: { bench: { targets: [{ provider: "fake", deploymentName: "gpt-4o-mini" }] } },
        },
        {},
      ),
  },
});
await service.loadMapping();

const prompt = [{ role: "user", content: "Say hello in one short sentence." }];
const bodies = {
  json: JSON.stringify({ model: "bench", messages: prompt }),
  stream: JSON.stringify({ model: "bench", messages: prompt, stream: true }),
};

async function one(body: string): Promise<void> {
  const response = await service.app.handle(
    new Request("http://127.0.0.1:4000/api/v1/completions", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
      body,
    }),
  );
  if (response.status !== 200) throw new Error(`status ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
}

/** CPU µs per request over `count` requests, `concurrency` at a time. */
async function round(body: string, count: number): Promise<number> {
  let left = count;
  const worker = async () => {
    while (left-- > 0) await one(body);
  };
  Bun.gc(true);
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, worker));
  await new Promise((resolve) => setImmediate(resolve)); // the last accounting
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`| mode | CPU µs/request (median of ${rounds}) | min | rounds |`);
console.log("|---|---|---|---|");
for (const mode of modes) {
  for (let w = 0; w < 2; w++) await round(bodies[mode], Math.min(requests, 10000)); // warm-up: JIT, pools, heap size
  const figures: number[] = [];
  for (let r = 0; r < rounds; r++) figures.push(await round(bodies[mode], requests));
  console.log(
    `| ${mode} | ${median(figures).toFixed(1)} | ${Math.min(...figures).toFixed(1)} | ${figures.map((f) => f.toFixed(1)).join(" ")} |`,
  );
}
if (written === 0) throw new Error("nothing was logged: the bench did not run the service");
await service.stop(0);
process.exit(0);
