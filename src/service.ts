/**
 * The service wired together: mapping, catalog, usage sink, metrics, the HTTP app and its
 * server, refresh and graceful shutdown. Everything here takes its settings as arguments;
 * only `main.ts` reads the environment.
 */
import { Elysia } from "elysia";
import type { Server } from "bun";
import { ModelCatalog } from "./catalog/model-catalog";
import type { CompletionDeps, CompletionExecution } from "./completion/completion-execution";
import { GatewayError } from "./core/errors";
import type { Mapping, ProviderType } from "./config/mapping";
import type { MappingSource } from "./config/mapping-source";
import type { Settings } from "./config/settings";
import { completionsRoute } from "./http/completions-route";
import { apiDocsRoutes } from "./http/api-docs-route";
import { healthRoutes, type HealthReport } from "./http/health-route";
import { errorResponse, requestContext } from "./http/request-context";
import type { Logger } from "./observability/logger";
import { CompletionMetrics } from "./observability/completion-metrics";
import { createMetrics, type Metrics } from "./observability/metrics";
import { mappingGauges, type MappingGauges } from "./observability/mapping-gauges";
import type { ProviderAdapterFactory } from "./providers/provider-adapter";
import { flushAfterResponse } from "./completion/after-response";
import { ProviderFactories } from "./providers/registry";
import { CIRCUIT_STATE_VALUE, type CircuitState, type TargetRef } from "./routing/circuit-breaker";
import { createRouting, type Routing, type RoutingOptions } from "./routing/routing";
import type { UsageSink } from "./usage/usage-event";

export interface ServiceOptions {
  settings: Settings;
  logger: Logger;
  mappingSource: MappingSource;
  sink: UsageSink;
  metrics?: Metrics;
  /** Adapter factories in place of the registry's (tests); the registry's are loaded as the mapping needs them. */
  factories?: Partial<Record<ProviderType, ProviderAdapterFactory>>;
  /** Extra Elysia plugins (auth) applied before the completions route. */
  guards?: Elysia<any, any, any, any, any, any, any>[];
  /** Retry, circuit and clock settings of the routing layer; production defaults when unset. */
  routing?: RoutingOptions;
}

export class CompletionService {
  readonly metrics: Metrics;
  readonly app;
  /** Owned here, not by the catalog: circuit state survives mapping refreshes. */
  readonly routing: Routing;
  private catalog: ModelCatalog | null = null;
  private server: Server<unknown> | null = null;
  private draining = false;
  private refreshTimer: ReturnType<typeof setInterval> | undefined;
  private readonly streams = new Set<CompletionExecution>();
  private readonly factories: Partial<Record<ProviderType, ProviderAdapterFactory>>;
  private readonly registry: ProviderFactories | null;
  private lastRefreshError: string | null = null;
  private readonly mappingGauges: MappingGauges;

  constructor(private readonly options: ServiceOptions) {
    this.metrics = options.metrics ?? createMetrics();
    this.mappingGauges = mappingGauges(this.metrics.registry);
    this.registry = options.factories ? null : new ProviderFactories();
    this.factories = options.factories ?? this.registry!.loaded;
    this.routing = createRouting(options.routing, (target, state, previous) => this.onCircuitChange(target, state, previous));
    const deps: CompletionDeps = {
      catalog: () => this.catalog!,
      completionMetrics: new CompletionMetrics(this.metrics),
      routing: this.routing,
      sink: options.sink,
      metrics: this.metrics,
      logger: options.logger,
      includeMessages: options.settings.eventsIncludeMessages,
    };
    const limit = options.settings.bodyLimitBytes;
    let app = new Elysia({ normalize: false, aot: true })
      .onRequest(({ request }) => {
        const length = Number(request.headers.get("content-length") ?? 0);
        if (length > limit) {
          return errorResponse(
            new GatewayError("payload_too_large", `request body is ${length} bytes; the limit is ${limit}`),
            request.headers.get("x-request-id") ?? crypto.randomUUID(),
          );
        }
      })
      .use(requestContext(options.logger))
      .use(healthRoutes(() => this.health(), this.metrics.registry, () => this.publishCircuitStates()))
      .use(apiDocsRoutes());
    for (const guard of options.guards ?? []) app = app.use(guard) as typeof app;
    this.app = app.use(
      completionsRoute({
        deps,
        bodyLimitBytes: limit,
        streams: this.streams,
        ready: () => {
          if (this.draining) return new GatewayError("unavailable", "the service is shutting down");
          if (!this.catalog) return new GatewayError("unavailable", "the model mapping is not loaded yet");
          return null;
        },
      }),
    );
  }

  /** Loads the mapping (throws MappingError naming the problem) and builds the catalog. */
  async loadMapping(): Promise<void> {
    const mapping = await this.options.mappingSource.load();
    await this.install(mapping);
    this.options.logger.info("model mapping loaded", {
      source: this.options.mappingSource.description,
      models: Object.keys(mapping.models).length,
      providers: Object.keys(mapping.providers).length,
    });
  }

  private async install(mapping: Mapping): Promise<void> {
    await this.registry?.load(Object.values(mapping.providers).map((p) => p.type));
    const catalog = ModelCatalog.build(mapping, this.factories);
    for (const gone of this.routing.breakers.retain(catalog.allTargets)) {
      this.metrics.targetState.remove(circuitLabels(gone));
    }
    this.catalog = catalog;
    this.mappingGauges.lastSuccess.setToCurrentTime();
    this.publishCircuitStates();
  }

  private onCircuitChange(target: TargetRef, state: CircuitState, previous: CircuitState): void {
    this.metrics.targetState.set(circuitLabels(target), CIRCUIT_STATE_VALUE[state]);
    const fields = { target: target.key, state, previous };
    if (state === "open") this.options.logger.warn("circuit opened: target skipped during its cool-down", fields);
    else this.options.logger.info(state === "closed" ? "circuit closed" : "circuit half-open: probing the target", fields);
  }

  /** Sets the gauge from the live states (an open circuit turns half-open by time alone). */
  private publishCircuitStates(): void {
    for (const { target, state } of this.routing.breakers.all()) {
      this.metrics.targetState.set(circuitLabels(target), CIRCUIT_STATE_VALUE[state]);
    }
  }

  startRefresh(intervalMs: number): void {
    this.mappingGauges.refreshInterval.set(Math.max(0, intervalMs) / 1000);
    if (intervalMs <= 0) return;
    let refreshing = false;
    this.refreshTimer = setInterval(async () => {
      if (refreshing) return; // a slow source (llm-core retrying) must not let an older mapping land last
      refreshing = true;
      try {
        await this.install(await this.options.mappingSource.load());
        this.lastRefreshError = null;
        this.options.logger.debug("model mapping refreshed");
      } catch (e) {
        this.lastRefreshError = (e as Error).message;
        this.options.logger.error("model mapping refresh rejected; keeping the previous mapping", { error: this.lastRefreshError });
      } finally {
        refreshing = false;
      }
    }, intervalMs);
    this.refreshTimer.unref?.();
  }

  listen(port: number, hostname: string): Server<unknown> {
    const app = this.app;
    // Compile the routes and their validators now rather than on each route's first request.
    app.compile();
    this.server = Bun.serve({
      port,
      hostname,
      fetch: (request) => app.handle(request),
      // Our own check answers 413 in the contract's shape; this is only the hard backstop.
      maxRequestBodySize: Math.max(this.options.settings.bodyLimitBytes * 2, 64 * 1024 * 1024),
      // Streams may be quiet for long (a model thinking); timeouts are the routing layer's job.
      idleTimeout: 0,
    });
    return this.server;
  }

  get port(): number {
    return this.server?.port ?? 0;
  }

  health(): HealthReport {
    const sink = this.options.sink.health();
    const serving = this.catalog !== null && !this.draining;
    const circuits = this.routing.breakers.notClosed();
    return {
      serving,
      // An open circuit leaves the service serving (other targets, other models): degraded, not down.
      // The sink says "degraded" while its broker is away or events wait (spooled, or older than a few
      // seconds): a batch on the wire is not waiting, or health would flap under load.
      degraded: sink.state !== "ok" || circuits.length > 0,
      checks: {
        mapping: this.catalog
          ? {
              status: "ok",
              source: this.options.mappingSource.description,
              models: this.catalog.models.length,
              ...(this.lastRefreshError && { lastRefreshError: this.lastRefreshError }),
            }
          : { status: "not_loaded" },
        usageEvents: sink,
        targets: { status: circuits.length ? "degraded" : "ok", circuitBreaking: this.routing.breakers.enabled, circuits },
        draining: this.draining,
        activeStreams: this.streams.size,
      },
    };
  }

  /**
   * Graceful stop: refuse new completions, let open streams finish (bounded), flush usage
   * events, close the server.
   */
  async stop(graceMs = this.options.settings.shutdownGraceMs): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    clearInterval(this.refreshTimer);
    const deadline = Date.now() + graceMs;
    while (this.streams.size > 0 && Date.now() < deadline) await Bun.sleep(50);
    if (this.streams.size > 0) {
      this.options.logger.warn("shutdown grace elapsed; cancelling open streams", { open: this.streams.size });
      for (const s of this.streams) s.cancel();
    }
    flushAfterResponse(); // the usage events of the last completions reach the sink before it closes
    await this.options.sink.close(Math.max(1000, deadline - Date.now()));
    await this.server?.stop(true);
    this.server = null;
  }
}

/** `provider` is the provider type, as on every metric (CONTRACT §3); `provider_id` tells apart two providers of one type. */
function circuitLabels(target: TargetRef): { provider: string; provider_id: string; deployment: string } {
  return { provider: target.providerType, provider_id: target.providerId, deployment: target.deploymentName };
}
