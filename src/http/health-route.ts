/**
 * Health for people and for orchestrators, and the Prometheus metrics; all stay public (registered
 * before the auth guards, whose scope covers only the routes after them).
 *
 * - `GET /api/v1/health/live`: the process is alive. Never looks at the mapping, upstreams or the
 *   broker, so a broker outage never gets the pod restarted: it answers whenever the event loop runs.
 * - `GET /api/v1/health/ready`: take traffic or not (the mapping is loaded and the service is not
 *   draining): 200, else 503. A load balancer stops sending completions on 503; nothing restarts.
 * - `GET /api/v1/health`: the detailed view, with every check and why it is degraded.
 */
import { Elysia } from "elysia";
import type { Registry } from "prom-client";

export interface HealthReport {
  /** False before the mapping is loaded and while draining: 503. */
  serving: boolean;
  degraded: boolean;
  /** What is running: package version and the git commit it was built from (null from source). */
  build?: { version: string; commit: string | null };
  checks: Record<string, unknown>;
}

/** `beforeScrape` refreshes gauges that are computed from live state (circuit states). */
export function healthRoutes(report: () => HealthReport, registry: Registry, beforeScrape: () => void = () => {}) {
  return new Elysia({ name: "health-routes" })
    .get("/api/v1/health", ({ set }) => {
      const r = report();
      if (!r.serving) set.status = 503;
      return { status: r.serving ? (r.degraded ? "degraded" : "ok") : "unavailable", ...r.build, checks: r.checks };
    })
    .get("/api/v1/health/live", () => ({ status: "alive" }))
    .get("/api/v1/health/ready", ({ set }) => {
      if (report().serving) return { status: "ready" };
      set.status = 503;
      return { status: "unavailable" };
    })
    .get("/metrics", async ({ set }) => {
      set.headers["content-type"] = registry.contentType;
      beforeScrape();
      return registry.metrics();
    });
}
