/** The mapping used when neither a file nor llm-core is configured: compiled into the binary. */
export const DEMO_MAPPING = {
  providers: {
    demo: { type: "mock" },
    "demo-slow": { type: "mock", chunkSize: 8, chunkDelayMs: 20 },
  },
  models: {
    demo: { strategy: "fallback", targets: [{ provider: "demo", deploymentName: "demo" }] },
    "demo-slow": { strategy: "fallback", targets: [{ provider: "demo-slow", deploymentName: "demo-slow" }] },
  },
} as const;
