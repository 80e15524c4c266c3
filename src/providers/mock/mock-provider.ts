/** `mock`: canned answers with no upstream, for trying the service out. */
import type { Static } from "@sinclair/typebox";
import { Type as T } from "@sinclair/typebox";
import { providerConfigSchema, type AdapterFactory, type ProviderDeclaration } from "../provider-config";

export const mockConfig = providerConfigSchema("mock", {
  /** The text every answer streams. */
  text: T.Optional(T.String()),
  /** Characters per streamed chunk. */
  chunkSize: T.Optional(T.Integer({ minimum: 1 })),
  /** Delay between chunks. */
  chunkDelayMs: T.Optional(T.Integer({ minimum: 0 })),
});
export type MockProviderConfig = Static<typeof mockConfig>;

export const mockProvider: ProviderDeclaration<"mock", typeof mockConfig, MockProviderConfig> = {
  type: "mock",
  config: mockConfig,
  loadAdapter: async (): Promise<AdapterFactory<MockProviderConfig>> => (await import("./mock-adapter")).createMockAdapter,
};
