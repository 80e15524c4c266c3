/**
 * The compose stack (deploy/compose) without a Docker engine: the compose file validated by
 * docker-compose (Debian's package), every file it mounts present, Prometheus's config checked by
 * promtool, Grafana's provisioning pointing at the dashboard, and RabbitMQ's boot configuration
 * and definitions loaded by a real RabbitMQ node, into which the service, with the compose
 * file's settings, delivers a usage event to the billing queue.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { DEMO_MAPPING } from "../../src/config/demo-mapping";
import { parseSettings } from "../../src/config/settings";
import { silentLogger } from "../../src/observability/logger";
import { createRabbitSink } from "../../src/usage/rabbit-sink-factory";
import { createPrivateBroker, type PrivateBroker } from "../support/rabbitmq";
import { startService } from "../support/service-harness";
import { consumeUsageEvents } from "../support/usage-queue";

type Obj = Record<string, any>;
const root = join(import.meta.dir, "../..");
const composeDir = join(root, "deploy/compose");
const composeFile = join(composeDir, "docker-compose.yml");
const compose = Bun.YAML.parse(await Bun.file(composeFile).text()) as Obj;
const services = compose.services as Record<string, Obj>;
const service = services["completion-service"]!;

function tool(name: string, pkg: string): string {
  const found = Bun.which(name);
  if (!found) throw new Error(`${name} is not installed: apt-get install -y --no-install-recommends ${pkg} (scripts/test.sh does)`);
  return found;
}

/** Bind mounts of a service as [host path, container path]; named volumes are left out. */
function binds(s: Obj): [string, string][] {
  return (s.volumes ?? [])
    .map((v: string) => v.split(":"))
    .filter(([source]: string[]) => source!.startsWith("."))
    .map(([source, target]: string[]) => [resolve(composeDir, source!), target!]);
}

/** Where a container path of a service comes from on this machine, through its bind mounts. */
function hostPath(s: Obj, containerPath: string): string | undefined {
  for (const [source, target] of binds(s)) {
    if (containerPath === target) return source;
    if (containerPath.startsWith(`${target}/`)) return join(source, containerPath.slice(target.length + 1));
  }
  return undefined;
}

test("docker-compose accepts the compose file", () => {
  const run = Bun.spawnSync([tool("docker-compose", "docker-compose"), "-f", composeFile, "config", "-q"], {
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(run.stderr.toString()).toBe("");
  expect(run.exitCode).toBe(0);
}, 30_000);

test("every file the stack mounts or builds from is in the repository", () => {
  expect(Object.keys(services).sort()).toEqual(["completion-service", "grafana", "prometheus", "rabbitmq"]);
  const missing = Object.values(services)
    .flatMap(binds)
    .map(([source]) => source)
    .filter((source) => !existsSync(source));
  expect(missing).toEqual([]);
  expect(existsSync(join(resolve(composeDir, service.build.context), "Dockerfile"))).toBe(true);
});

test("the service: valid settings, the spool on a named volume where the image keeps it, a stop grace above SHUTDOWN_GRACE_MS", async () => {
  const settings = parseSettings(service.environment);
  const dockerfile = await Bun.file(join(root, "Dockerfile")).text();
  const spoolDir = /EVENTS_SPOOL_DIR=(\S+)/.exec(dockerfile)![1];
  expect(service.volumes).toContain(`spool:${spoolDir}`);
  expect(Object.keys(compose.volumes)).toContain("spool");
  expect(Number.parseInt(service.stop_grace_period, 10)).toBeGreaterThan(settings.shutdownGraceMs / 1000);
  expect(service.depends_on.rabbitmq.condition).toBe("service_healthy");
  expect(new URL(settings.rabbitmqUrl!).hostname).toBe("rabbitmq");
});

test("Prometheus: promtool accepts its config and rules, and it scrapes the service by its compose name", async () => {
  const prometheus = services.prometheus!;
  const configPath = hostPath(prometheus, /--config\.file=(\S+)/.exec(prometheus.command.join(" "))![1]!)!;
  expect(configPath).toBe(join(root, "deploy/prometheus/prometheus.yml"));
  const run = Bun.spawnSync([tool("promtool", "prometheus"), "check", "config", configPath], { stdout: "pipe", stderr: "pipe" });
  expect(run.stdout.toString()).toContain("SUCCESS: 1 rule files found");
  expect(run.exitCode).toBe(0);
  const config = Bun.YAML.parse(await Bun.file(configPath).text()) as Obj;
  const job = config.scrape_configs.find((j: Obj) => j.job_name === "completion-service");
  expect(job.static_configs[0].targets).toEqual([`completion-service:${service.environment.PORT ?? 4000}`]);
}, 30_000);

test("Grafana: the provisioned datasource is the compose Prometheus, and the dashboard is where the provider reads", async () => {
  const grafana = services.grafana!;
  const provisioning = hostPath(grafana, "/etc/grafana/provisioning")!;
  const datasources = Bun.YAML.parse(await Bun.file(join(provisioning, "datasources/prometheus.yml")).text()) as Obj;
  expect(datasources.datasources).toEqual([
    expect.objectContaining({ type: "prometheus", url: "http://prometheus:9090", isDefault: true }),
  ]);
  const providers = Bun.YAML.parse(await Bun.file(join(provisioning, "dashboards/completion-service.yml")).text()) as Obj;
  const path = providers.providers[0].options.path;
  const mounted = binds(grafana).filter(([, target]) => dirname(target) === path);
  expect(mounted.map(([source]) => source)).toEqual([join(root, "deploy/grafana/completion-service.json")]);
  expect(hostPath(grafana, grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH)).toBe(
    join(root, "deploy/grafana/completion-service.json"),
  );
});

let broker: PrivateBroker;
let confDir: string;

beforeAll(async () => {
  // RabbitMQ's boot config, as the container reads it from conf.d, pointing at the definitions here.
  const rabbitmq = services.rabbitmq!;
  const conf = binds(rabbitmq).find(([, target]) => target.startsWith("/etc/rabbitmq/conf.d/"))!;
  confDir = mkdtempSync(join(tmpdir(), "compose-rabbitmq-conf-"));
  const text = (await Bun.file(conf[0]).text()).replace(
    /^(definitions\.local\.path\s*=\s*)(\S+)$/m,
    (_, key, path) => key + hostPath(rabbitmq, path),
  );
  writeFileSync(join(confDir, "20-completion-service.conf"), text);
  // Started by hand to hand rabbitmq-server the conf.d directory; the helper stops and removes it.
  broker = await createPrivateBroker({ start: false });
  const start = Bun.spawn(["bash", join(root, "scripts/rabbitmq.sh"), "start", broker.dir, String(broker.port)], {
    env: { ...process.env, RABBITMQ_CONFIG_FILES: confDir },
    stdout: "pipe",
    stderr: "pipe",
  });
  if ((await start.exited) !== 0) throw new Error(`RabbitMQ did not start: ${await new Response(start.stderr).text()}`);
}, 120_000);

afterAll(async () => {
  await broker?.dispose();
  if (confDir) rmSync(confDir, { recursive: true, force: true });
}, 30_000);

test("RabbitMQ boots with the definitions: the service's usage events reach the billing queue", async () => {
  expect(await broker.ctl("list_bindings", "source_name", "destination_name", "routing_key")).toContain(
    "llm.transactions\tbilling.usage-events\tcompletion.transaction",
  );
  // The compose file's settings, with the broker's address on this machine.
  const url = new URL(service.environment.RABBITMQ_URL);
  url.host = `127.0.0.1:${broker.port}`;
  const spool = mkdtempSync(join(tmpdir(), "compose-spool-"));
  const settings = parseSettings({ ...service.environment, RABBITMQ_URL: url.toString(), EVENTS_SPOOL_DIR: spool });
  const sink = await createRabbitSink(settings, silentLogger);
  const svc = await startService({ mapping: DEMO_MAPPING, sink });
  try {
    const response = await svc.post(
      { model: "demo", messages: [{ role: "user", content: "hi" }] },
      { headers: { "content-type": "application/json", "x-request-id": "compose-stack-check" } },
    );
    expect(response.status).toBe(200);
    await response.text();
    // Read as billing would, with the definitions' administrator (no guest user once they are loaded).
    const definitions = (await Bun.file(join(composeDir, "rabbitmq/definitions.json")).json()) as {
      users: { name: string; password: string; tags: string }[];
    };
    const admin = definitions.users.find((u) => u.tags.includes("administrator"))!;
    const reader = `amqp://${admin.name}:${admin.password}@127.0.0.1:${broker.port}`;
    const received = await consumeUsageEvents(reader, "billing.usage-events", (r) =>
      r.some((e) => e.body.requestId === "compose-stack-check"),
    );
    expect(received.map((e) => [e.exchange, e.routingKey, e.body.requestId])).toContainEqual([
      "llm.transactions",
      "completion.transaction",
      "compose-stack-check",
    ]);
  } finally {
    await svc.stop();
    rmSync(spool, { recursive: true, force: true });
  }
}, 30_000);
