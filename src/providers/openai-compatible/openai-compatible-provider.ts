/**
 * Declares an OpenAI-compatible provider from what makes it different: its mapping entry, its
 * dialect overrides on top of `COMPATIBLE_DEFAULTS`, which API it speaks and its endpoint (URL and
 * auth). Everything else (request building, the stream, errors) is the shared compatible adapter,
 * loaded only when the mapping uses the type.
 */
import type { Static, TObject } from "@sinclair/typebox";
import type { ProviderDeclaration } from "../provider-config";
import type { EventRewrite } from "./openai-compatible-adapter";
import { COMPATIBLE_DEFAULTS, type OpenAIDialect } from "./openai-dialect";
import type { OpenAIApi, OpenAIEndpoint } from "./openai-endpoint";

export interface CompatibleProviderDefinition<Type extends string, Schema extends TObject> {
  type: Type;
  config: Schema;
  /** How it differs from a plain compatible server. */
  dialect?: Partial<Omit<OpenAIDialect, "type">>;
  /** `chat` (default): `/chat/completions`. `completions`: the legacy text API, `/completions`. */
  api?: OpenAIApi;
  /** Where requests go and how they are authenticated, from the provider's mapping entry. */
  endpoint(config: Static<Schema>): OpenAIEndpoint;
  /** A per-request rewrite of the events it answers with, for a provider that needs one. */
  rewriteEvents?: () => EventRewrite;
}

export function openAICompatibleProvider<Type extends string, Schema extends TObject>(
  definition: CompatibleProviderDefinition<Type, Schema>,
): ProviderDeclaration<Type, Schema, Static<Schema>> & { readonly dialect: OpenAIDialect } {
  const dialect: OpenAIDialect = { ...COMPATIBLE_DEFAULTS, ...definition.dialect, type: definition.type };
  return {
    type: definition.type,
    config: definition.config,
    dialect,
    async loadAdapter() {
      const { createOpenAICompatibleAdapter } = await import("./openai-compatible-adapter");
      const { api, rewriteEvents } = definition;
      return (config) => createOpenAICompatibleAdapter({ dialect, endpoint: definition.endpoint(config), api, rewriteEvents });
    },
  };
}
