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
import { BUILD_INFO } from "./config/build-info";
import type { Mapping, ProviderType } from "./config/mapping";
import type { MappingSource } from "./config/mapping-source";
import type { Settings } from "./config/settings";
import { noAuthGuard, type AuthGuard } from "./auth/auth-guard";
import { completionsRoute } from "./http/completions-route";
import { apiDocsRoutes } from "./http/api-docs-route";
import { healthRoutes, type HealthReport } from "./http/health-route";
import { errorResponse, requestContext, requestIdOf } from "./http/request-context";
import { frontDoorErrors } from "./http/front-door-errors";
import { openAIChatRoute } from "./http/openai/openai-chat-route";
import { openAIModelsRoute } from "./http/openai/openai-models-route";
import { anthropicMessagesRoute } from "./http/anthropic/anthropic-messages-route";
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
import { createRateLimiter } from "./limits/create-rate-limiter";
import { limitsRoute } from "./limits/limits-route";
import type { RateLimiter } from "./limits/rate-limiter";

export interface ServiceOptions {
  settings: Settings;
  logger: Logger;
  mappingSource: MappingSource;
  sink: UsageSink;
  metrics?: Metrics;
  /** Adapter factories in place of the registry's (tests); the registry's are loaded as the mapping needs them. */
  factories?: Partial<Record<ProviderType, ProviderAdapterFactory>>;
  /** Who may call the completion routes (`createGuard`); everyone, with `auth: null`, when unset. */
  guard?: AuthGuard;
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
  private readonly inFlight = new Set<CompletionExecution>();
  private readonly factories: Partial<Record<ProviderType, ProviderAdapterFactory>>;
  private readonly registry: ProviderFactories | null;
  /** The failing refreshes since the last good one: health says since when, and why. */
  private refreshFailure: { since: string; error: string; attempts: number } | null = null;
  private ignoredFields = "";
  private readonly mappingGauges: MappingGauges;
  /** Null when no limits are configured. */
  readonly limits: RateLimiter | null;

  constructor(private readonly options: ServiceOptions) {
    this.metrics = options.metrics ?? createMetrics();
    this.mappingGauges = mappingGauges(this.metrics.registry);
    this.registry = options.factories ? null : new ProviderFactories();
    this.factories = options.factories ?? this.registry!.loaded;
    this.limits = createRateLimiter(options.settings, options.logger, this.metrics);
    this.routing = createRouting(options.routing, (target, state, previous) => this.onCircuitChange(target, state, previous));
    const deps: CompletionDeps = {
      catalog: () => this.catalog!,
      completionMetrics: new CompletionMetrics(this.metrics),
      routing: this.routing,
      sink: options.sink,
      metrics: this.metrics,
      logger: options.logger,
      includeMessages: options.settings.eventsIncludeMessages,
      limits: this.limits,
    };
    const limit = options.settings.bodyLimitBytes;
    // Elysia finds the path by searching for "/" from the 12th character of the URL, assuming a
    // host of at least 4 ("http://a.bc/"): `Host: abc` made every route 404. Search from the 8th.
    const context = requestContext(options.logger);
    const guard = options.guard ?? noAuthGuard(options.logger);
    const app = new Elysia({ normalize: false, aot: true, handler: { standardHostname: false } })
      .onRequest(({ request }) => {
        const length = Number(request.headers.get("content-length") ?? 0);
        if (length > limit) {
          return errorResponse(
            new GatewayError("payload_too_large", `request body is ${length} bytes; the limit is ${limit}`),
            requestIdOf(request),
          );
        }
      })
      .use(frontDoorErrors(options.logger)) // before the request context: its error hook answers first
      .use(context)
      .use(
        healthRoutes(
          () => this.health(),
          this.metrics.registry,
          () => this.publishCircuitStates(),
        ),
      )
      .use(apiDocsRoutes())
      .use(guard); // scoped: the routes below are guarded, health, metrics and the API docs above are not
    const routeOptions = {
      context,
      guard,
      deps,
      bodyLimitBytes: limit,
      bodyMaxDepth: options.settings.bodyMaxDepth,
      streams: this.streams,
      inFlight: this.inFlight,
      holdConnection: (request: Request) => this.holdConnection(request),
      ready: () => this.notReady(),
    };
    this.app = app
      .use(completionsRoute(routeOptions))
      // The front doors: the OpenAI and Anthropic APIs translated onto the same pipeline, guarded alike.
      .use(openAIChatRoute(routeOptions))
      .use(openAIModelsRoute({ context, models: () => this.modelNames() }))
      .use(anthropicMessagesRoute(routeOptions))
      .use(limitsRoute({ context, guard, limiter: () => this.limits }));
  }

  /** Why no completion may be served now, by any door (mapping not loaded, draining). */
  private notReady(): GatewayError | null {
    if (this.draining) return new GatewayError("unavailable", "the service is shutting down");
    if (!this.catalog) return new GatewayError("unavailable", "the model mapping is not loaded yet");
    return null;
  }

  private modelNames(): string[] {
    if (!this.catalog) throw new GatewayError("unavailable", "the model mapping is not loaded yet");
    return this.catalog.models;
  }

  /** Loads the mapping (throws MappingError naming the problem) and builds the catalog. */
  async loadMapping(): Promise<void> {
    const mapping = await this.options.mappingSource.load();
    await this.install(mapping);
    if (!Object.keys(mapping.models).length) this.options.logger.warn("the model mapping has no models: every completion is refused");
    this.options.logger.info("model mapping loaded", {
      source: this.options.mappingSource.description,
      models: Object.keys(mapping.models).length,
      providers: Object.keys(mapping.providers).length,
    });
  }

  private async install(mapping: Mapping): Promise<void> {
    // One warning per change in the set, not one per refresh.
    const ignored = (mapping.ignoredFields ?? []).join(", ");
    if (ignored && ignored !== this.ignoredFields) {
      this.options.logger.warn(`model mapping: ignoring unknown fields ${ignored}`, { source: this.options.mappingSource.description });
    }
    this.ignoredFields = ignored;
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
        if (this.refreshFailure) this.options.logger.info("model mapping refreshed again", { failedSince: this.refreshFailure.since });
        this.refreshFailure = null;
        this.options.logger.debug("model mapping refreshed");
      } catch (e) {
        const error = (e as Error).message;
        this.refreshFailure = {
          since: this.refreshFailure?.since ?? new Date().toISOString(),
          error,
          attempts: (this.refreshFailure?.attempts ?? 0) + 1,
        };
        this.options.logger.error("model mapping refresh rejected; keeping the previous mapping", { error });
      } finally {
        refreshing = false;
      }
    }, intervalMs);
    this.refreshTimer.unref?.();
  }

  /** `reusePort`: several processes (WORKERS) listen on one port; the kernel spreads connections. */
  listen(port: number, hostname: string, options: { reusePort?: boolean } = {}): Server<unknown> {
    const app = this.app;
    // Compile the routes and their validators now rather than on each route's first request.
    app.compile();
    this.server = Bun.serve({
      port,
      hostname,
      fetch: (request) => app.handle(request),
      // No limit of Bun's: its 413 has no body and no x-request-id. Ours answers any declared size
      // over BODY_LIMIT_BYTES, and stops reading any other body at the limit; no other route reads one.
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      // Lifted per completion while it runs (holdConnection); the routing layer times upstreams.
      idleTimeout: this.options.settings.httpIdleTimeoutS,
      reusePort: options.reusePort ?? false,
    });
    return this.server;
  }

  /**
   * The idle limit closes quiet keep-alive connections and bodies that stop arriving (Bun does not
   * reset it while a body arrives: the whole body must come within it). A completion may be quiet
   * far longer (a model thinking): its connection has no limit until its answer is handed over.
   */
  private holdConnection(request: Request): () => void {
    const server = this.server;
    if (!server) return () => {};
    server.timeout(request, 0);
    return () => server.timeout(request, this.options.settings.httpIdleTimeoutS);
  }

  get port(): number {
    return this.server?.port ?? 0;
  }

  health(): HealthReport {
    const sink = this.options.sink.health();
    const serving = this.catalog !== null && !this.draining;
    const circuits = this.routing.breakers.notClosed();
    const mapping = this.mappingHealth();
    const limits = this.limits?.health();
    return {
      serving,
      build: BUILD_INFO,
      // An open circuit leaves the service serving (other targets, other models): degraded, not down.
      // The sink says "degraded" while its broker is away or events wait (spooled, or older than a few
      // seconds): a batch on the wire is not waiting, or health would flap under load.
      degraded: sink.state !== "ok" || circuits.length > 0 || mapping.status === "degraded" || limits?.status === "degraded",
      checks: {
        mapping,
        usageEvents: sink,
        targets: { status: circuits.length ? "degraded" : "ok", circuitBreaking: this.routing.breakers.enabled, circuits },
        draining: this.draining,
        activeStreams: this.streams.size,
        ...(limits && { limits }),
      },
    };
  }

  /** Degraded while refreshes keep failing (the last good mapping serves) or when it has no models. */
  private mappingHealth(): { status: "ok" | "degraded" | "not_loaded" } & Record<string, unknown> {
    if (!this.catalog) return { status: "not_loaded" };
    const models = this.catalog.models.length;
    const failure = this.refreshFailure;
    const reason = failure
      ? `refreshing the mapping has failed ${failure.attempts} time(s) since ${failure.since}; the last good mapping serves`
      : models === 0
        ? "the mapping has no models: every completion is refused"
        : undefined;
    return {
      status: reason ? "degraded" : "ok",
      source: this.options.mappingSource.description,
      models,
      ...(reason && { reason }),
      ...(failure && { lastRefreshError: failure.error, failingSince: failure.since }),
    };
  }

  /**
   * Graceful stop: refuse new completions, let those in flight (JSON and streams) finish for up to
   * `graceMs`; then end the rest — a stream with `error`, `usage`, `finish`, a JSON request with
   * 503 — and give their last bytes a moment to go out. Every usage event reaches the sink before
   * it is flushed and closed; then the server closes.
   */
  async stop(graceMs = this.options.settings.shutdownGraceMs): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    clearInterval(this.refreshTimer);
    const deadline = Date.now() + graceMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) await Bun.sleep(20);
    if (this.inFlight.size > 0) {
      this.options.logger.warn("shutdown grace elapsed; ending the completions still open", { open: this.inFlight.size });
      for (const execution of this.inFlight) execution.shutDown();
      const lastWrites = Date.now() + FINAL_WRITE_MS;
      while (this.inFlight.size > 0 && Date.now() < lastWrites) await Bun.sleep(10);
    }
    flushAfterResponse(); // the usage events of the last completions reach the sink before it closes
    await this.options.sink.close(Math.max(1000, deadline - Date.now()));
    const server = this.server;
    this.server = null;
    this.limits?.close();
    if (server) {
      // Answers handed over just now are still being written: let them finish, briefly.
      await Promise.race([server.stop(false), Bun.sleep(FINAL_WRITE_MS)]);
      await server.stop(true);
    }
  }
}

/** How long the last answers get to reach their clients at shutdown. */
const FINAL_WRITE_MS = 1000;

/** `provider` is the provider type, as on every metric; `provider_id` tells apart two providers of one type. */
function circuitLabels(target: TargetRef): { provider: string; provider_id: string; deployment: string } {
  return { provider: target.providerType, provider_id: target.providerId, deployment: target.deploymentName };
}
