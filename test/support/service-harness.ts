/**
 * Starts the real service on a loopback port with a given mapping, as production wires it
 * (real provider adapters and SDK clients), recording usage events.
 */
import { parseMapping } from "../../src/config/mapping";
import type { MappingSource } from "../../src/config/mapping-source";
import { parseSettings } from "../../src/config/settings";
import { createLogger, silentLogger, type Logger } from "../../src/observability/logger";
import { CompletionService } from "../../src/service";
import type { UsageSink } from "../../src/usage/usage-event";
import { RecordingSink } from "./recording-sink";

export interface Harness {
  service: CompletionService;
  url: string;
  sink: RecordingSink;
  post(body: unknown, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  mapping: unknown;
  env?: Record<string, string>;
  sink?: UsageSink;
  logger?: Logger;
}

export function staticMappingSource(mapping: unknown, env: Record<string, string | undefined> = {}): MappingSource {
  return { description: "test mapping", load: async () => parseMapping(mapping, env) };
}

export async function startService(options: HarnessOptions): Promise<Harness> {
  const env = { ...options.env };
  const settings = parseSettings(env);
  const sink = new RecordingSink();
  const logger = options.logger ?? (process.env.TEST_LOGS ? createLogger("debug") : silentLogger);
  const service = new CompletionService({
    settings,
    logger,
    mappingSource: staticMappingSource(options.mapping, env),
    sink: options.sink ?? sink,
  });
  await service.loadMapping();
  service.listen(0, "127.0.0.1");
  const url = `http://127.0.0.1:${service.port}`;
  return {
    service,
    url,
    sink,
    post: (body, init) =>
      fetch(`${url}/api/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: typeof body === "string" ? body : JSON.stringify(body),
        ...init,
      }),
    stop: () => service.stop(0),
  };
}

/** A mapping with one model served by one provider. */
export function singleTargetMapping(provider: Record<string, unknown>, deploymentName = "upstream-model", model = "m") {
  return {
    providers: { p: provider },
    models: { [model]: { strategy: "fallback", targets: [{ provider: "p", deploymentName }] } },
  };
}
