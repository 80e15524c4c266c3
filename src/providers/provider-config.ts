/**
 * What every provider's mapping entry may say, and how a provider declares itself: its type, the
 * schema of its entry (which the mapping validates it with) and a loader of its adapter factory.
 * The factory is loaded only when the mapping uses the type: the SDKs are large.
 */
import { Type as T, type Static, type TLiteral, type TObject, type TProperties } from "@sinclair/typebox";
import type { ProviderAdapter } from "./provider-adapter";

export const url = T.String({ pattern: "^https?://" });

/** The fields every provider type takes. */
export const commonConfigFields = {
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

const commonConfig = T.Object(commonConfigFields);
/** What every provider's mapping entry may say, whatever its type. */
export type CommonProviderConfig = Static<typeof commonConfig>;

type ConfigSchema<Type extends string, Fields extends TProperties> = TObject<{ type: TLiteral<Type> } & typeof commonConfigFields & Fields>;

/** A provider type's mapping entry: `type`, the common fields and its own; nothing else. */
export function providerConfigSchema<Type extends string, Fields extends TProperties>(
  type: Type,
  fields: Fields,
): ConfigSchema<Type, Fields> {
  return T.Object({ type: T.Literal(type), ...commonConfigFields, ...fields }, { additionalProperties: false }) as unknown as ConfigSchema<
    Type,
    Fields
  >;
}

/** Builds one adapter (and so one SDK client, reused across requests) per configured provider. */
export type AdapterFactory<Config> = (config: Config, providerId: string) => ProviderAdapter;

export interface ProviderDeclaration<Type extends string, Schema extends TObject, Config> {
  readonly type: Type;
  readonly config: Schema;
  loadAdapter(): Promise<AdapterFactory<Config>>;
}
