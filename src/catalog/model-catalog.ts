/**
 * The loaded mapping, live: each configured provider's adapter (one SDK client each, reused),
 * and each model's targets. Replaced whole when the mapping is refreshed.
 */
import { GatewayError } from "../core/errors";
import { MappingError, type Mapping, type ProviderConfig, type ProviderType } from "../config/mapping";
import type { ProviderAdapter, ProviderAdapterFactory } from "../providers/provider-adapter";
import type { Pricing } from "../cost/pricing";

export interface Target {
  /** `provider/deployment`, stable across refreshes; keys circuit state. */
  key: string;
  providerId: string;
  providerType: ProviderType;
  deploymentName: string;
  weight: number;
  config: ProviderConfig;
  adapter: ProviderAdapter;
  /** The target's prices, else the model's; null when none are configured. */
  pricing: Pricing | null;
}

export interface ModelRoute {
  model: string;
  strategy: "fallback" | "weighted";
  targets: Target[];
}

export class ModelCatalog {
  private constructor(
    private readonly routes: Map<string, ModelRoute>,
    readonly providerCount: number,
  ) {}

  static build(mapping: Mapping, factories: Partial<Record<ProviderType, ProviderAdapterFactory>>): ModelCatalog {
    const adapters = new Map<string, ProviderAdapter>();
    const problems: string[] = [];
    for (const [id, config] of Object.entries(mapping.providers)) {
      const factory = factories[config.type];
      if (!factory) {
        problems.push(`providers.${id}.type: provider type "${config.type}" is not available in this build`);
        continue;
      }
      try {
        adapters.set(id, factory(config, id));
      } catch (e) {
        problems.push(`providers.${id}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (problems.length) throw new MappingError(problems);
    const routes = new Map<string, ModelRoute>();
    for (const [model, route] of Object.entries(mapping.models)) {
      routes.set(model, {
        model,
        strategy: route.strategy,
        targets: route.targets.map((t) => {
          const config = mapping.providers[t.provider]!;
          return {
            key: `${t.provider}/${t.deploymentName}`,
            providerId: t.provider,
            providerType: config.type,
            deploymentName: t.deploymentName,
            weight: t.weight ?? 1,
            config,
            adapter: adapters.get(t.provider)!,
            pricing: t.pricing ?? route.pricing ?? null,
          };
        }),
      });
    }
    return new ModelCatalog(routes, adapters.size);
  }

  resolve(model: string): ModelRoute {
    const route = this.routes.get(model);
    if (!route) throw new GatewayError("model_not_found", `model "${model}" is not configured`);
    return route;
  }

  get models(): string[] {
    return [...this.routes.keys()];
  }

  get allTargets(): Target[] {
    const seen = new Map<string, Target>();
    for (const r of this.routes.values()) for (const t of r.targets) seen.set(t.key, t);
    return [...seen.values()];
  }
}
