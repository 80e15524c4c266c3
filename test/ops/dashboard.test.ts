/**
 * The Grafana dashboard's queries against a real Prometheus scraping the real service: every query
 * must return data, so a renamed metric or label fails here rather than leaving an empty panel.
 *
 * The service runs as `bun run src/main.ts` with a mapping of a mock model and one whose upstream
 * refuses connections (errors, upstream failures, a circuit), and a RabbitMQ URL where no broker
 * listens, so usage events go through the spool (pending, spooled). Prometheus (Debian's package)
 * scrapes it every second with the alert rules loaded.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readNdjson } from "../support/ndjson";

const root = join(import.meta.dir, "../..");
const JOB = "completion-service";
/** Grafana's variables as a user with every model, provider and door selected would have them. */
const VARIABLES: Record<string, string> = {
  job: JOB,
  model: ".*",
  provider: ".*",
  api: ".*",
  __rate_interval: "1m",
  __interval: "15s",
  __range: "5m",
};

let dir: string;
let service: ReturnType<typeof Bun.spawn>;
let prometheus: ReturnType<typeof Bun.spawn>;
let serviceUrl: string;
let prometheusUrl: string;
let prometheusLog = "";

async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const p = s.port!;
  s.stop(true);
  return p;
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch {}
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${prometheusLog ? `\nprometheus: ${prometheusLog.slice(-2000)}` : ""}`);
}

interface QueryResult {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(expr: string): Promise<QueryResult[]> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: QueryResult[] } };
  if (body.status !== "success") throw new Error(`${expr}: ${body.error}`);
  return body.data!.result;
}

function substitute(expr: string): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (whole, braced, plain) => VARIABLES[braced ?? plain] ?? whole);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "completion-dashboard-"));
  const [servicePort, prometheusPort, deadUpstream, deadBroker] = [await freePort(), await freePort(), await freePort(), await freePort()];
  writeFileSync(
    join(dir, "mapping.json"),
    JSON.stringify({
      providers: {
        mock: { type: "mock" },
        refused: { type: "openai", apiKey: "sk-test", baseUrl: `http://127.0.0.1:${deadUpstream}/v1`, maxRetries: 0 },
      },
      models: {
        chat: { strategy: "fallback", targets: [{ provider: "mock", deploymentName: "mock-chat" }] },
        broken: { strategy: "fallback", targets: [{ provider: "refused", deploymentName: "gpt-4o" }] },
      },
    }),
  );
  service = Bun.spawn(["bun", "run", join(root, "src/main.ts")], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      PORT: String(servicePort),
      HOST: "127.0.0.1",
      LOG_LEVEL: "error",
      LOCAL_MODEL_PROVIDERS_CONFIG_PATH: join(dir, "mapping.json"),
      CONFIG_REFRESH_INTERVAL_MS: "60000",
      RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${deadBroker}`,
      EVENTS_SPOOL_DIR: join(dir, "spool"),
      BUN_CONFIG_MAX_HTTP_REQUESTS: "10000",
      MIMALLOC_PURGE_DELAY: "100",
      BUN_JSC_forceRAMSize: "1073741824",
    },
    stdout: "ignore",
    stderr: "inherit",
  });
  serviceUrl = `http://127.0.0.1:${servicePort}`;
  prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
  await until("the service to be ready", async () => (await fetch(`${serviceUrl}/api/v1/health/ready`)).ok);

  writeFileSync(
    join(dir, "prometheus.yml"),
    [
      "global: { scrape_interval: 1s, evaluation_interval: 1s }",
      `rule_files: [${JSON.stringify(join(root, "deploy/prometheus/alerts.yml"))}]`,
      "scrape_configs:",
      `  - job_name: ${JOB}`,
      `    static_configs: [{ targets: ["127.0.0.1:${servicePort}"] }]`,
    ].join("\n"),
  );
  prometheus = Bun.spawn(
    [
      "prometheus",
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${prometheusPort}`,
      "--log.level=warn",
    ],
    { cwd: dir, stdout: "ignore", stderr: "pipe" },
  );
  (async () => {
    for await (const chunk of prometheus.stderr as ReadableStream<Uint8Array>) prometheusLog += new TextDecoder().decode(chunk);
  })();
  await until("Prometheus to scrape the service", async () => (await query(`up{job="${JOB}"} == 1`)).length > 0);

  // Two rounds of traffic with a scrape between them: a series appears with the first round's
  // values, and a rate needs it seen rising.
  const complete = (body: object, path = "/api/v1/completions") =>
    fetch(`${serviceUrl}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const messages = [{ role: "user", content: "hi" }];
  for (const round of [1, 2]) {
    for (let i = 0; i < 3; i++) {
      await readNdjson(await complete({ model: "chat", messages, stream: true }));
      expect((await complete({ model: "chat", messages })).status).toBe(200);
      // Through the OpenAI and Anthropic doors too, streamed and not: every door has its series.
      for (const stream of [true, false]) {
        const openai = await complete(
          { model: "chat", messages, stream, ...(stream && { stream_options: { include_usage: true } }) },
          "/v1/chat/completions",
        );
        const anthropic = await complete({ model: "chat", max_tokens: 64, messages, stream }, "/v1/messages");
        expect([openai.status, anthropic.status]).toEqual([200, 200]);
        await Promise.all([openai.text(), anthropic.text()]);
      }
    }
    expect((await complete({ model: "broken", messages })).status).toBe(502);
    expect((await complete({ model: "chat" })).status).toBe(400);
    await until(
      `round ${round} to be scraped`,
      async () => (await query(`sum(completion_requests_total{model="broken"}) >= ${round}`)).length > 0,
    );
  }
  // The broker is away: events are spooled after a second.
  await until(
    "usage events to be spooled and scraped",
    async () => (await query('completion_usage_events_total{result="spooled"} > 0')).length > 0,
  );
}, 90_000);

afterAll(async () => {
  prometheus?.kill();
  service?.kill();
  await Promise.all([prometheus?.exited, service?.exited]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const dashboard = (await Bun.file(join(root, "deploy/grafana/completion-service.json")).json()) as {
  panels: { title: string; type: string; targets?: { expr: string; legendFormat?: string }[] }[];
  templating: { list: { name: string; type: string; query?: { query: string } }[] };
};

test("every query of every panel returns data", async () => {
  const targets = dashboard.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: p.title, expr: substitute(t.expr), legend: t.legendFormat ?? "" })),
  );
  expect(targets.length).toBeGreaterThanOrEqual(20);
  const empty: string[] = [];
  for (const { panel, expr, legend } of targets) {
    expect(expr).not.toContain("$");
    const result = await query(expr);
    if (!result.some((r) => Number.isFinite(Number(r.value[1])))) empty.push(`${panel}: ${expr} -> ${JSON.stringify(result)}`);
    // A label the legend names but the series lack would show as an empty legend.
    for (const [, label] of legend.matchAll(/\{\{\s*(\w+)\s*\}\}/g)) {
      if (!result.some((r) => r.metric[label!] !== undefined))
        empty.push(`${panel}: no series has the label ${label} of the legend "${legend}"`);
    }
  }
  expect(empty).toEqual([]);
}, 30_000);

test("the template variables list the job, the models, the providers and the doors", async () => {
  const values: Record<string, string[]> = {};
  for (const v of dashboard.templating.list.filter((v) => v.type === "query")) {
    const m = /^label_values\((.+), (\w+)\)$/.exec(v.query!.query);
    expect(m).not.toBeNull();
    const [, selector, label] = m!;
    values[v.name] = (await query(`group by (${label}) (${substitute(selector!)})`)).map((r) => r.metric[label!]!).sort();
  }
  expect(values).toEqual({
    job: [JOB],
    model: ["broken", "chat"],
    provider: ["mock", "openai"],
    api: ["anthropic_messages", "completions", "openai_chat"],
  });
});

test("Prometheus loads the alert rules, and every metric they name is exported by the service", async () => {
  const rules = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as {
    data: { groups: { rules: { name: string; health: string; lastError?: string; query: string }[] }[] };
  };
  const loaded = rules.data.groups.flatMap((g) => g.rules);
  expect(loaded.length).toBeGreaterThanOrEqual(10);
  await until("every rule to be evaluated", async () => {
    const again = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as typeof rules;
    return again.data.groups.flatMap((g) => g.rules).every((r) => r.health === "ok");
  });
  const names = new Set(loaded.flatMap((r) => r.query.match(/\b(?:completion|process|nodejs)_[a-z_]+\b/g) ?? []));
  expect(names.size).toBeGreaterThanOrEqual(8);
  const missing: string[] = [];
  for (const name of names) if ((await query(`${name}{job="${JOB}"}`)).length === 0) missing.push(name);
  expect(missing).toEqual([]);
}, 30_000);
