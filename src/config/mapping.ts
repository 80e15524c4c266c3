/**
 * The model/provider mapping (docs/configuration.md): its schema, `${ENV}` expansion, and validation with
 * messages that name the bad path. Secrets never appear in a message.
 */
import { Type as T, type Static, type TSchema } from "@sinclair/typebox";
import { Value, ValueErrorType, type ValueError } from "@sinclair/typebox/value";
import { PricingSchema, type Pricing } from "../cost/pricing";
import type { AnthropicBedrockConfig } from "../providers/bedrock/anthropic-bedrock-provider";
import { PROVIDERS, PROVIDER_TYPES, type ProviderConfig, type ProviderType } from "../providers/providers";

export { PROVIDER_TYPES, type ProviderConfig, type ProviderType };
export type { MockProviderConfig } from "../providers/mock/mock-provider";

/** Keys whose values are secrets: never logged, never echoed in errors, health or metrics. */
export const SECRET_KEYS = new Set(["apiKey", "secretAccessKey", "sessionToken", "headers"]);

const closed = { additionalProperties: false } as const;

const Target = T.Object(
  {
    provider: T.String({ minLength: 1 }),
    deploymentName: T.String({ minLength: 1 }),
    weight: T.Optional(T.Number({ exclusiveMinimum: 0 })),
    /** This target's prices, in place of the model's. */
    pricing: T.Optional(PricingSchema),
  },
  closed,
);
const ModelRoute = T.Object(
  {
    strategy: T.Optional(T.Union([T.Literal("fallback"), T.Literal("weighted")])),
    targets: T.Array(Target, { minItems: 1 }),
    /** Prices for the usage event's `cost`; a target's own `pricing` overrides them. */
    pricing: T.Optional(PricingSchema),
  },
  closed,
);
export type TargetConfig = Static<typeof Target>;
export interface ModelRouteConfig {
  strategy: "fallback" | "weighted";
  targets: TargetConfig[];
  pricing?: Pricing;
}

export interface Mapping {
  providers: Record<string, ProviderConfig>;
  models: Record<string, ModelRouteConfig>;
  /**
   * Fields the service does not know, left out of the mapping (with a near miss, a hint): the
   * mapping belongs to llm-core, and a field it adds must not stop the gateway.
   */
  ignoredFields?: string[];
}

export class MappingError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0] : `${problems.length} problems: ${problems.join("; ")}`);
    this.name = "MappingError";
  }
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${NAME}` in every string with the environment's value, and `${NAME:-default}` with
 * the default when NAME is unset or empty, as a shell does; a missing `${NAME}` is an error.
 */
export function expandEnv(value: unknown, env: Record<string, string | undefined>, path = "", missing: string[] = []): unknown {
  if (typeof value === "string") {
    return value.replace(VARIABLE, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (fallback !== undefined) return v ? v : fallback;
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

function pointerToPath(base: string, segments: string[]): string {
  let path = base;
  for (const seg of segments) path += /^\d+$/.test(seg) ? `[${seg}]` : `.${seg}`;
  return path;
}

function segmentsOf(pointer: string): string[] {
  return pointer
    .split("/")
    .filter(Boolean)
    .map((seg) => seg.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** The field names a schema allows at a place in the value (its object's properties). */
function knownFieldsAt(schema: TSchema, segments: string[]): string[] {
  let at: TSchema | undefined = schema;
  for (const seg of segments) {
    if (!at) return [];
    at = at.type === "array" ? at.items : at.properties?.[seg];
  }
  return Object.keys(at?.properties ?? {});
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The known field an unknown one most likely meant: `base_url` → `baseUrl`, `apikey` → `apiKey`, one typo away. */
export function nearMiss(name: string, known: string[]): string | undefined {
  const fold = (s: string) => s.replace(/[_-]/g, "").toLowerCase();
  const same = known.find((k) => fold(k) === fold(name));
  if (same) return same;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(name.length / 5)) + 1;
  for (const k of known) {
    const d = editDistance(fold(name), fold(k));
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

interface UnknownField {
  segments: string[];
  /** `path.to.field`, or `path.to.field (did you mean "x"?)`. */
  description: string;
  /** The known field it most likely meant. */
  meant?: string;
}

function messageOf(error: ValueError): string {
  if (error.type === ValueErrorType.ObjectRequiredProperty) return "required field missing";
  if (error.type === ValueErrorType.StringPattern && error.schema.pattern === "^https?://") return "expected an http:// or https:// URL";
  // Never echo a secret's value; TypeBox messages name expectations, not values.
  return error.message.charAt(0).toLowerCase() + error.message.slice(1);
}

/**
 * Checks a value against a schema: one problem per bad place (TypeBox reports a missing field
 * twice, "required" and "expected string"), and unknown fields apart, for the caller to ignore.
 */
function check(schema: TSchema, value: unknown, base: string): { problems: string[]; unknown: UnknownField[] } {
  const byPath = new Map<string, string>();
  const unknown: UnknownField[] = [];
  for (const e of Value.Errors(schema, value)) {
    const segments = segmentsOf(e.path);
    const path = pointerToPath(base, segments);
    if (e.type === ValueErrorType.ObjectAdditionalProperties || e.message === "Unexpected property") {
      const meant = nearMiss(segments[segments.length - 1]!, knownFieldsAt(schema, segments.slice(0, -1)));
      unknown.push({ segments, meant, description: meant ? `${path} (did you mean "${meant}"?)` : path });
      continue;
    }
    if (!byPath.has(path)) byPath.set(path, `${path}: ${messageOf(e)}`);
  }
  // A required field missing beside a near miss of it: say so, it is the likely fix.
  for (const u of unknown) {
    if (!u.meant) continue;
    const path = pointerToPath(base, [...u.segments.slice(0, -1), u.meant]);
    const problem = byPath.get(path);
    if (problem?.endsWith("required field missing")) byPath.set(path, `${problem} (found "${u.segments[u.segments.length - 1]}")`);
  }
  return { problems: [...byPath.values()], unknown };
}

/** Removes the unknown fields, so the service sees only what it knows. */
function withoutFields(value: unknown, unknown: UnknownField[]): unknown {
  for (const { segments } of unknown) {
    let at = value as Record<string, unknown> | undefined;
    for (const seg of segments.slice(0, -1)) at = at?.[seg] as Record<string, unknown> | undefined;
    if (at && typeof at === "object") delete at[segments[segments.length - 1]!];
  }
  return value;
}

/**
 * An AWS key pair is given whole or not at all: half a pair is a mistake, not a wish for the
 * default chain. A near miss of the missing key among the unknown fields is named: it is the likely fix.
 */
function awsKeyProblems(config: AnthropicBedrockConfig, path: string, unknown: UnknownField[]): string[] {
  const { accessKeyId, secretAccessKey, sessionToken } = config;
  const found = (key: string) => {
    const miss = unknown.find((u) => u.meant === key);
    return miss ? ` (found "${miss.segments[miss.segments.length - 1]}")` : "";
  };
  const wholePair = "or leave both out to use the AWS default credential chain";
  if (accessKeyId && !secretAccessKey)
    return [`${path}.secretAccessKey: required with accessKeyId, ${wholePair}${found("secretAccessKey")}`];
  if (secretAccessKey && !accessKeyId) return [`${path}.accessKeyId: required with secretAccessKey, ${wholePair}${found("accessKeyId")}`];
  if (sessionToken && !accessKeyId) return [`${path}.sessionToken: only goes with accessKeyId and secretAccessKey`];
  return [];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === "object" && !Array.isArray(value);
}

/**
 * Expands and validates a mapping; throws MappingError listing every problem once. Unknown fields
 * are not problems: they are left out and listed in `ignoredFields`.
 */
export function parseMapping(input: unknown, env: Record<string, string | undefined>): Mapping {
  if (!isObject(input)) throw new MappingError(["mapping: must be a JSON object"]);
  const problems: string[] = [];
  const ignored: string[] = [];
  for (const key of Object.keys(input)) {
    if (key === "providers" || key === "models") continue;
    const meant = nearMiss(key, ["providers", "models"]);
    ignored.push(meant ? `${key} (did you mean "${meant}"?)` : key);
  }
  const providersIn = input.providers;
  const modelsIn = input.models;
  if (!isObject(providersIn))
    problems.push(providersIn === undefined ? "providers: required field missing" : "providers: must be an object");
  if (!isObject(modelsIn)) problems.push(modelsIn === undefined ? "models: required field missing" : "models: must be an object");
  if (problems.length) throw new MappingError(problems);

  const providers: Record<string, ProviderConfig> = {};
  for (const [id, rawProvider] of Object.entries(providersIn as Record<string, unknown>)) {
    const path = `providers.${id}`;
    if (!isObject(rawProvider)) {
      problems.push(`${path}: must be an object`);
      continue;
    }
    const type = rawProvider.type;
    if (typeof type !== "string" || !(PROVIDER_TYPES as readonly string[]).includes(type)) {
      problems.push(`${path}.type: must be one of ${PROVIDER_TYPES.join(", ")}`);
      continue;
    }
    const expanded = expandEnv(rawProvider, env, path, problems);
    const found = check(PROVIDERS[type as ProviderType].config, expanded, path);
    ignored.push(...found.unknown.map((u) => u.description));
    if (type === "anthropic_bedrock") found.problems.push(...awsKeyProblems(expanded as AnthropicBedrockConfig, path, found.unknown));
    if (found.problems.length) problems.push(...found.problems);
    else providers[id] = withoutFields(expanded, found.unknown) as ProviderConfig;
  }

  const models: Record<string, ModelRouteConfig> = {};
  for (const [name, rawModel] of Object.entries(modelsIn as Record<string, unknown>)) {
    const path = `models.${name}`;
    const found = check(ModelRoute, rawModel, path);
    ignored.push(...found.unknown.map((u) => u.description));
    if (found.problems.length) {
      problems.push(...found.problems);
      continue;
    }
    const route = withoutFields(structuredClone(rawModel), found.unknown) as Static<typeof ModelRoute>;
    route.targets.forEach((t, i) => {
      if (!(t.provider in (providersIn as object))) problems.push(`${path}.targets[${i}].provider: unknown provider "${t.provider}"`);
    });
    models[name] = { strategy: route.strategy ?? "fallback", targets: route.targets, ...(route.pricing && { pricing: route.pricing }) };
  }
  if (problems.length) throw new MappingError([...new Set(problems)]);
  return { providers, models, ...(ignored.length && { ignoredFields: ignored }) };
}

/** A provider's config with every secret replaced, for logs and health. */
export function redactProvider(config: ProviderConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) out[k] = SECRET_KEYS.has(k) ? "[redacted]" : v;
  return out;
}
