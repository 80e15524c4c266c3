/**
 * A mapping entry of each provider type pointing at a given upstream URL, for tests that put one
 * misbehaving server behind several provider types (lost connections, huge or broken answers).
 */
export type ProviderAt = (url: string) => Record<string, unknown>;

const ENTRIES: Record<string, ProviderAt> = {
  openai: (url) => ({ type: "openai", apiKey: "k", baseUrl: `${url}/v1` }),
  vllm: (url) => ({ type: "vllm", baseUrl: `${url}/v1` }),
  anthropic: (url) => ({ type: "anthropic", apiKey: "k", baseUrl: url }),
  google: (url) => ({ type: "google", apiKey: "k", baseUrl: url }),
  mistral: (url) => ({ type: "mistral", apiKey: "k", baseUrl: url }),
  ollama: (url) => ({ type: "ollama", baseUrl: url }),
  anthropic_bedrock: (url) => ({
    type: "anthropic_bedrock",
    region: "us-east-1",
    endpoint: url,
    accessKeyId: "AKIDEXAMPLE",
    secretAccessKey: "secret-example",
  }),
};

/** The entries of `types`, in that order, each with `extra` fields (e.g. `maxRetries`). */
export function providersAt(types: readonly string[], extra: Record<string, unknown> = {}): Record<string, ProviderAt> {
  return Object.fromEntries(
    types.map((type) => {
      const entry = ENTRIES[type];
      if (!entry) throw new Error(`no test entry for provider type ${type}`);
      return [type, (url: string) => ({ ...entry(url), ...extra })];
    }),
  );
}
