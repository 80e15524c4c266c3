/** GET /api/v1/health and GET /metrics (CONTRACT §3); both stay public. */
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
    .get("/metrics", async ({ set }) => {
      set.headers["content-type"] = registry.contentType;
      beforeScrape();
      return registry.metrics();
    });
}
