/**
 * The model/provider mapping of CONTRACT §4: its schema, `${ENV}` expansion, and validation with
 * messages that name the bad path. Secrets never appear in a message.
 */
import { Type as T, type Static, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

export const PROVIDER_TYPES = [
  "openai",
  "azure_openai",
  "azure_openai_completions",
  "anthropic",
  "anthropic_bedrock",
  "google",
  "mistral",
  "jamba",
  "ollama",
  "vllm",
  "remote_completion",
  "mock",
] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

/** Keys whose values are secrets: never logged, never echoed in errors, health or metrics. */
export const SECRET_KEYS = new Set(["apiKey", "secretAccessKey", "sessionToken", "headers"]);

const url = T.String({ pattern: "^https?://" });
const common = {
  headers: T.Optional(T.Record(T.String(), T.String())),
  timeoutMs: T.Optional(T.Integer({ minimum: 1 })),
  connectTimeoutMs: T.Optional(T.Integer({ minimum: 1 })),
  firstByteTimeoutMs: T.Optional(T.Integer({ minimum: 1 })),
  idleTimeoutMs: T.Optional(T.Integer({ minimum: 1 })),
  maxRetries: T.Optional(T.Integer({ minimum: 0, maximum: 10 })),
  /** Bounds on what is held of an upstream answer (src/providers/upstream-limits.ts). */
  maxResponseBytes: T.Optional(T.Integer({ minimum: 1024, maximum: 1024 ** 3 })),
  maxEventBytes: T.Optional(T.Integer({ minimum: 1024, maximum: 1024 ** 3 })),
};
const closed = { additionalProperties: false } as const;

const MockProvider = T.Object(
  {
    type: T.Literal("mock"),
    ...common,
    /** The text every answer streams. */
    text: T.Optional(T.String()),
    /** Characters per streamed chunk. */
    chunkSize: T.Optional(T.Integer({ minimum: 1 })),
    /** Delay between chunks. */
    chunkDelayMs: T.Optional(T.Integer({ minimum: 0 })),
  },
  closed,
);

const providerSchemas: Record<ProviderType, TSchema> = {
  mock: MockProvider,
  openai: T.Object(
    { type: T.Literal("openai"), ...common, apiKey: T.String(), baseUrl: T.Optional(url), organization: T.Optional(T.String()) },
    closed,
  ),
  azure_openai: T.Object(
    { type: T.Literal("azure_openai"), ...common, endpoint: url, apiKey: T.String(), apiVersion: T.Optional(T.String({ minLength: 1 })) },
    closed,
  ),
  azure_openai_completions: T.Object(
    {
      type: T.Literal("azure_openai_completions"),
      ...common,
      endpoint: url,
      apiKey: T.String(),
      apiVersion: T.Optional(T.String({ minLength: 1 })),
    },
    closed,
  ),
  anthropic: T.Object({ type: T.Literal("anthropic"), ...common, apiKey: T.String(), baseUrl: T.Optional(url) }, closed),
  anthropic_bedrock: T.Object(
    {
      type: T.Literal("anthropic_bedrock"),
      ...common,
      region: T.String({ minLength: 1 }),
      endpoint: T.Optional(url),
      accessKeyId: T.String({ minLength: 1 }),
      secretAccessKey: T.String({ minLength: 1 }),
      sessionToken: T.Optional(T.String()),
    },
    closed,
  ),
  google: T.Object(
    { type: T.Literal("google"), ...common, apiKey: T.String(), baseUrl: T.Optional(url), apiVersion: T.Optional(T.String({ minLength: 1 })) },
    closed,
  ),
  mistral: T.Object({ type: T.Literal("mistral"), ...common, apiKey: T.String(), baseUrl: T.Optional(url) }, closed),
  jamba: T.Object({ type: T.Literal("jamba"), ...common, apiKey: T.String(), baseUrl: T.Optional(url) }, closed),
  ollama: T.Object({ type: T.Literal("ollama"), ...common, apiKey: T.Optional(T.String()), baseUrl: T.Optional(url) }, closed),
  vllm: T.Object({ type: T.Literal("vllm"), ...common, apiKey: T.Optional(T.String()), baseUrl: url }, closed),
  remote_completion: T.Object(
    { type: T.Literal("remote_completion"), ...common, apiKey: T.Optional(T.String()), baseUrl: url },
    closed,
  ),
};

export interface ProviderConfigBase {
  type: ProviderType;
  headers?: Record<string, string>;
  timeoutMs?: number;
  connectTimeoutMs?: number;
  firstByteTimeoutMs?: number;
  idleTimeoutMs?: number;
  maxRetries?: number;
  maxResponseBytes?: number;
  maxEventBytes?: number;
  apiKey?: string;
  baseUrl?: string;
  endpoint?: string;
  apiVersion?: string;
  organization?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  text?: string;
  chunkSize?: number;
  chunkDelayMs?: number;
}
export type ProviderConfig = ProviderConfigBase;
export type MockProviderConfig = Static<typeof MockProvider>;

const Target = T.Object(
  {
    provider: T.String({ minLength: 1 }),
    deploymentName: T.String({ minLength: 1 }),
    weight: T.Optional(T.Number({ exclusiveMinimum: 0 })),
  },
  closed,
);
const ModelRoute = T.Object(
  {
    strategy: T.Optional(T.Union([T.Literal("fallback"), T.Literal("weighted")])),
    targets: T.Array(Target, { minItems: 1 }),
  },
  closed,
);
export type TargetConfig = Static<typeof Target>;
export interface ModelRouteConfig {
  strategy: "fallback" | "weighted";
  targets: TargetConfig[];
}

export interface Mapping {
  providers: Record<string, ProviderConfig>;
  models: Record<string, ModelRouteConfig>;
}

export class MappingError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0] : `${problems.length} problems: ${problems.join("; ")}`);
    this.name = "MappingError";
  }
}

/** Replaces `${NAME}` in every string with the environment's value; a missing one is an error. */
export function expandEnv(value: unknown, env: Record<string, string | undefined>, path = "", missing: string[] = []): unknown {
  if (typeof value === "string") {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = env[name];
      if (v === undefined) {
        missing.push(`${path || "(root)"}: environment variable ${name} is not set`);
        return "";
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, `${path}[${i}]`, missing));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandEnv(v, env, path ? `${path}.${k}` : k, missing);
    return out;
  }
  return value;
}

function pointerToPath(base: string, pointer: string): string {
  let path = base;
  for (const seg of pointer.split("/").filter(Boolean)) {
    path += /^\d+$/.test(seg) ? `[${seg}]` : `.${seg.replace(/~1/g, "/").replace(/~0/g, "~")}`;
  }
  return path;
}

function schemaProblems(schema: TSchema, value: unknown, base: string): string[] {
  const problems: string[] = [];
  for (const e of Value.Errors(schema, value)) {
    const path = pointerToPath(base, e.path);
    const last = e.path.split("/").pop() ?? "";
    // Never echo a secret's value; TypeBox messages name expectations, not values.
    const message = e.message === "Unexpected property" ? `unknown field "${last}"` : e.message.toLowerCase();
    problems.push(`${path}: ${message}`);
  }
  return dedupe(problems);
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}

/** Expands and validates a mapping; throws MappingError listing every problem. */
export function parseMapping(input: unknown, env: Record<string, string | undefined>): Mapping {
  const problems: string[] = [];
  if (!input || typeof input !== "object" || Array.isArray(input)) throw new MappingError(["mapping: must be a JSON object"]);
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (key !== "providers" && key !== "models") problems.push(`${key}: unknown field "${key}"`);
  }
  const providersIn = raw.providers;
  const modelsIn = raw.models;
  if (!providersIn || typeof providersIn !== "object" || Array.isArray(providersIn)) problems.push("providers: must be an object");
  if (!modelsIn || typeof modelsIn !== "object" || Array.isArray(modelsIn)) problems.push("models: must be an object");
  if (problems.length) throw new MappingError(problems);

  const providers: Record<string, ProviderConfig> = {};
  for (const [id, rawProvider] of Object.entries(providersIn as Record<string, unknown>)) {
    const path = `providers.${id}`;
    const type = (rawProvider as { type?: unknown } | null)?.type;
    if (typeof type !== "string" || !(PROVIDER_TYPES as readonly string[]).includes(type)) {
      problems.push(`${path}.type: must be one of ${PROVIDER_TYPES.join(", ")}`);
      continue;
    }
    const expanded = expandEnv(rawProvider, env, path, problems);
    const found = schemaProblems(providerSchemas[type as ProviderType], expanded, path);
    if (found.length) problems.push(...found);
    else providers[id] = expanded as ProviderConfig;
  }

  const models: Record<string, ModelRouteConfig> = {};
  for (const [name, rawModel] of Object.entries(modelsIn as Record<string, unknown>)) {
    const path = `models.${name}`;
    const found = schemaProblems(ModelRoute, rawModel, path);
    if (found.length) {
      problems.push(...found);
      continue;
    }
    const route = rawModel as Static<typeof ModelRoute>;
    route.targets.forEach((t, i) => {
      if (!(t.provider in (providersIn as object))) problems.push(`${path}.targets[${i}].provider: unknown provider "${t.provider}"`);
    });
    models[name] = { strategy: route.strategy ?? "fallback", targets: route.targets };
  }
  if (problems.length) throw new MappingError(dedupe(problems));
  return { providers, models };
}

/** A provider's config with every secret replaced, for logs and health. */
export function redactProvider(config: ProviderConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) out[k] = SECRET_KEYS.has(k) ? "[redacted]" : v;
  return out;
}
