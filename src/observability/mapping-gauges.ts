/**
 * How fresh the model mapping is. A refresh that keeps failing leaves the service on the old
 * mapping (old targets, old models) while health stays merely degraded: an alert compares the last
 * success with the refresh interval.
 */
import { Gauge, type Registry } from "prom-client";

export interface MappingGauges {
  /** Set when the mapping loads or a refresh installs it. */
  lastSuccess: Gauge;
  /** 0 while the mapping is never refreshed: then its age says nothing. */
  refreshInterval: Gauge;
}

export function mappingGauges(registry: Registry): MappingGauges {
  return {
    lastSuccess: gauge(
      registry,
      "completion_mapping_last_success_timestamp_seconds",
      "Unix time the model mapping last loaded or refreshed successfully",
    ),
    refreshInterval: gauge(
      registry,
      "completion_mapping_refresh_interval_seconds",
      "Seconds between mapping refreshes; 0 when it is never refreshed",
    ),
  };
}

/** One registry may serve two services (tests): the gauge is registered once. */
function gauge(registry: Registry, name: string, help: string): Gauge {
  return (registry.getSingleMetric(name) as Gauge | undefined) ?? new Gauge({ name, help, registers: [registry] });
}
