/**
 * Starts the real service on a loopback port with a given mapping, as production wires it
 * (real provider adapters and SDK clients), recording usage events.
 */
import { parseMapping } from "../../src/config/mapping";
import type { MappingSource } from "../../src/config/mapping-source";
import { parseSettings } from "../../src/config/settings";
import { createLogger, silentLogger, type Logger } from "../../src/observability/logger";
import type { ProviderType } from "../../src/config/mapping";
import type { ProviderAdapterFactory } from "../../src/providers/provider-adapter";
import type { RoutingOptions } from "../../src/routing/routing";
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
  /** Routing settings; `FAST_ROUTING` when unset. */
  routing?: RoutingOptions;
  /** Adapter factories in place of the production registry. */
  factories?: Partial<Record<ProviderType, ProviderAdapterFactory>>;
}

/**
 * For provider tests: retries wait a millisecond, not a quarter second, and circuit breaking is
 * off so a suite that fails one target again and again is never refused. Routing tests set their own.
 */
export const FAST_ROUTING: RoutingOptions = {
  retry: { baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1000 },
  circuit: false,
};

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
    routing: options.routing ?? FAST_ROUTING,
    ...(options.factories && { factories: options.factories }),
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
