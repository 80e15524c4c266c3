/**
 * Entry point: the only module that reads the environment. Start-up fails fast with one line
 * naming the problem; SIGTERM/SIGINT drain and exit 0.
 */
// First: `--help`/`--version`, and Bun's runtime settings, before anything else is evaluated.
import "./cli/before-start";
import { join } from "node:path";
import { ownCommandLine, RESTARTED_MARK } from "./cli/runtime-settings";
import { BUILD_INFO } from "./config/build-info";
import { MappingError } from "./config/mapping";
import {
  demoMappingSource,
  fileMappingSource,
  llmCoreMappingSource,
  MappingSourceError,
  type MappingSource,
} from "./config/mapping-source";
import { parseSettings, SettingsError, type Settings } from "./config/settings";
import { createLogger, stdoutLines, type Logger } from "./observability/logger";
import { createMetrics, type Metrics } from "./observability/metrics";
import { createGuard } from "./auth/create-guards";
import { healthcheck } from "./cli/healthcheck";
import { LimitsConfigError } from "./limits/limits-config";
import { CompletionService } from "./service";
import { createRabbitSink } from "./usage/rabbit-sink-factory";
import { createLogSink } from "./usage/log-sink";
import type { UsageSink } from "./usage/usage-event";
import { adoptOrphanSpools } from "./workers/spool-adoption";
import { runSupervisor } from "./workers/supervisor";
import { parseWorkerCount, WorkerCountError } from "./workers/worker-count";
import { WorkerLink } from "./workers/worker-link";
import { WORKER_INDEX_ENV } from "./workers/worker-messages";

function fail(message: string): never {
  process.stderr.write(`completion-service: ${message}\n`);
  process.exit(1);
}

function mappingSourceFor(settings: Settings, env: Record<string, string | undefined>, logger: Logger): MappingSource {
  if (settings.mappingPath) {
    if (settings.llmCoreUrl) {
      logger.warn(
        "LOCAL_MODEL_PROVIDERS_CONFIG_PATH and LLM_CORE_URL are both set: the mapping is read from the file; LLM_CORE_URL is ignored",
        {
          file: settings.mappingPath,
        },
      );
    }
    return fileMappingSource(settings.mappingPath, env);
  }
  if (settings.llmCoreUrl) {
    return llmCoreMappingSource({ baseUrl: settings.llmCoreUrl, apiKey: settings.llmCoreApiKey, env, logger });
  }
  logger.warn(
    "no model mapping configured: serving the bundled demo mapping (models demo and demo-slow); set LOCAL_MODEL_PROVIDERS_CONFIG_PATH to a mapping file, or LLM_CORE_URL to llm-core",
  );
  return demoMappingSource();
}

async function createSink(settings: Settings, logger: Logger, metrics: Metrics): Promise<UsageSink> {
  if (!settings.rabbitmqUrl) {
    logger.info("RABBITMQ_URL is not set: usage events go to stdout (log sink)");
    return createLogSink(settings, logger, metrics, stdoutLines);
  }
  return createRabbitSink(settings, logger, metrics);
}

async function main(): Promise<void> {
  const env = process.env;
  let settings: Settings;
  try {
    settings = parseSettings(env);
  } catch (e) {
    if (e instanceof SettingsError) fail(e.message);
    throw e;
  }
  let workerCount: number;
  try {
    workerCount = parseWorkerCount(env.WORKERS);
  } catch (e) {
    if (e instanceof WorkerCountError) fail(e.message);
    throw e;
  }
  // Started by the supervisor (WORKERS > 1): the IPC channel is there.
  const workerIndex = env[WORKER_INDEX_ENV] !== undefined && typeof process.send === "function" ? Number(env[WORKER_INDEX_ENV]) : null;
  const logger = createLogger(settings.logLevel, { service: "completion-service", ...(workerIndex !== null && { worker: workerIndex }) });
  logger.info("starting", { version: BUILD_INFO.version, commit: BUILD_INFO.commit });
  if (env[RESTARTED_MARK]) {
    const applied = env[RESTARTED_MARK].split(",").map((name) => `${name}=${env[name]}`);
    logger.info(`runtime settings applied at start: ${applied.join(" ")}`);
  }
  // Set by `restartWithRuntimeSettings` when missing; these warn only if the process could not
  // replace itself.
  if (!env.BUN_CONFIG_MAX_HTTP_REQUESTS) {
    // Bun's fetch runs at most 256 requests at once by default; the 257th open stream would wait
    // for a slot. Only the environment of the process can raise it.
    logger.warn("BUN_CONFIG_MAX_HTTP_REQUESTS is not set: at most 256 upstream calls run at once; set it (e.g. 10000) for production");
  }
  if (!env.MIMALLOC_PURGE_DELAY) {
    // Bun's allocator keeps freed memory for a long time by default: under load the RSS settles
    // ~80 MB higher (docs/performance.md, "Memory"). Read once, when the process starts.
    logger.warn("MIMALLOC_PURGE_DELAY is not set: freed memory goes back to the system late; set it (e.g. 100) for production");
  }
  if (!env.BUN_JSC_forceRAMSize) {
    // JavaScriptCore sizes its heap by the machine's RAM: on a large machine it lets garbage grow
    // far beyond what the service keeps alive (docs/performance.md, "Memory").
    logger.warn(
      "BUN_JSC_forceRAMSize is not set: the JavaScript heap is sized for all of the machine's memory; set it (e.g. 1073741824) for production",
    );
  }
  if (workerCount > 1 && workerIndex === null) {
    if (settings.port === 0) fail("WORKERS > 1 needs a fixed PORT: the workers share it");
    try {
      await adoptOrphanSpools(settings.eventsSpoolDir, workerCount, logger);
    } catch (e) {
      fail(`could not move the usage-event spool files of ${settings.eventsSpoolDir} to a worker: ${(e as Error).message}`);
    }
    await runSupervisor({ count: workerCount, command: ownCommandLine(), env, logger, shutdownGraceMs: settings.shutdownGraceMs });
  }
  if (workerIndex !== null) {
    // Each worker its own spool: a restarted worker of the same index publishes what its predecessor left.
    settings = { ...settings, eventsSpoolDir: join(settings.eventsSpoolDir, `worker-${workerIndex}`) };
  }
  // One registry for the service and the sink, so /metrics shows the usage event counters.
  const metrics = createMetrics();
  let sink: UsageSink;
  try {
    sink = await createSink(settings, logger, metrics);
  } catch (e) {
    fail((e as Error).message);
  }
  let guard;
  try {
    guard = await createGuard(settings, logger);
  } catch (e) {
    fail((e as Error).message);
  }
  let service: CompletionService;
  try {
    service = new CompletionService({
      settings,
      logger,
      sink,
      metrics,
      guard,
      mappingSource: mappingSourceFor(settings, env, logger),
    });
  } catch (e) {
    if (e instanceof LimitsConfigError) fail(e.message);
    throw e;
  }
  try {
    await service.loadMapping();
  } catch (e) {
    if (e instanceof MappingError) fail(`invalid model mapping: ${e.message}`);
    if (e instanceof MappingSourceError) fail(e.message);
    throw e;
  }
  service.startRefresh(settings.configRefreshIntervalMs);
  let link: WorkerLink | null = null;
  if (workerIndex !== null) {
    const ownHealth = service.health.bind(service);
    link = new WorkerLink({ index: workerIndex, metrics, logger, health: ownHealth, orphaned: () => void shutdown("supervisor gone") });
    const workers = link;
    service.health = () => workers.clusterHealth(ownHealth());
    link.installClusterMetrics();
  }
  const server = service.listen(settings.port, settings.host, { reusePort: workerIndex !== null });
  logger.info("listening", { host: settings.host, port: server.port });
  link?.ready();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("draining", { signal });
    try {
      await service.stop();
      await link?.stop(); // its final counters, kept in the sums after it exits
    } finally {
      logger.info("stopped");
      process.exit(0);
    }
  };
  // A fault that escaped every handler (a throwing event listener ends a Bun process) must not
  // take down the other completions in flight, nor their usage events: it is logged, and the
  // service goes on.
  process.on("uncaughtException", (error) => logger.error("uncaught error; the service keeps running", { error }));
  process.on("unhandledRejection", (error) => logger.error("unhandled rejection; the service keeps running", { error }));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

if (process.argv[2] === "healthcheck") process.exit(await healthcheck(process.env, (line) => console.log(line)));
await main();
