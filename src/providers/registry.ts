/**
 * The adapter factories of the provider types a mapping uses. Each type is declared in its folder
 * (see `providers.ts`); its module (and so its SDK) is loaded only when the mapping uses that
 * type: the SDKs are large (Mistral's alone holds ~17 MB of heap), and a service runs a few of them.
 */
import type { ProviderAdapterFactory } from "./provider-adapter";
import { PROVIDERS, type ProviderType } from "./providers";

/** The factories of the provider types loaded so far; `load` adds the ones a mapping needs. */
export class ProviderFactories {
  readonly loaded: Partial<Record<ProviderType, ProviderAdapterFactory>> = {};

  async load(types: Iterable<ProviderType>): Promise<void> {
    for (const type of types) {
      // A factory takes its own type's config; the catalog only hands it configs of that type.
      this.loaded[type] ??= (await PROVIDERS[type].loadAdapter()) as ProviderAdapterFactory;
    }
  }
}
