/** The `azure_openai` provider through the SDK's AzureOpenAI client, against the Azure flavour of the compatible fake. */
import { describe, expect, test } from "bun:test";
import { azureContentFilterError, openAIError, QUIRKS, startCompatibleFake } from "../fakes/openai-compatible/compatible-fake";
import { grammarViolations, readNdjson, streamedText } from "../support/ndjson";
import { singleTargetMapping, startService } from "../support/service-harness";
import { describeCompatibleProvider, user } from "./openai-compatible-suite";

const DEPLOYMENT = "gpt4o-prod";

const ctx = describeCompatibleProvider({
  type: "azure_openai",
  quirks: QUIRKS.azure_openai({ deployment: DEPLOYMENT, apiKey: "azure-secret" }),
  provider: (url) => ({ type: "azure_openai", endpoint: url, apiKey: "${AZURE_KEY}" }),
  env: { AZURE_KEY: "azure-secret" },
  deploymentName: DEPLOYMENT,
  maxTokensField: "max_tokens",
  streamUsageOption: true,
  tools: "parallel",
  json: "json_schema",
  error: (status, message, code, headers) => openAIError(status, message, "invalid_request_error", code, headers),
  reportsUsage: true,
});

describe("azure_openai: quirks", () => {
  test("the key goes in api-key, never in Authorization", async () => {
    const { fake, svc, model } = ctx;
    await (await svc.post({ model, messages: user })).json();
    const sent = fake.requests[0]!;
    expect(sent.url).toBe(`/openai/deployments/${DEPLOYMENT}/chat/completions?api-version=2024-10-21`);
    expect(sent.headers["api-key"]).toBe("azure-secret");
    expect(sent.headers.authorization).toBeUndefined();
  });

  test("filter chunks (prompt filter first, an offsets-only verdict) leave the stream intact", async () => {
    const { fake, svc, model } = ctx;
    fake.answer(() => ({ text: ["Copenhagen", "."], usage: { prompt_tokens: 15, completion_tokens: 78, reasoning: 64 } }));
    const lines = await readNdjson(await svc.post({ model, messages: user, stream: true }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(streamedText(lines)).toBe("Copenhagen.");
    expect(lines.at(-2)).toEqual({ type: "usage", inputTokens: 15, outputTokens: 78, reasoningTokens: 64, cachedInputTokens: 0 });
  });

  test("an answer cut by the content filter finishes with content_filter", async () => {
    const { fake, svc, model } = ctx;
    fake.answer(() => ({ text: ["Here is how"], finishReason: "content_filter", usage: { prompt_tokens: 15, completion_tokens: 3 } }));
    const lines = await readNdjson(await svc.post({ model, messages: user, stream: true }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "content_filter" });
    const body: any = await (await svc.post({ model, messages: user })).json();
    expect(body).toMatchObject({ outputText: "Here is how", finishReason: "content_filter" });
  });

  test("a prompt refused by the content filter is a 400 that says so", async () => {
    const { fake, svc, model } = ctx;
    fake.answer(() => azureContentFilterError());
    for (const stream of [false, true]) {
      const res = await svc.post({ model, messages: user, stream });
      expect(res.status).toBe(400);
      const body: any = await res.json();
      expect(body.code).toBe("upstream_invalid_request");
      expect(body.message).toStartWith(
        "azure_openai content filter blocked the prompt (hate: high): The response was filtered due to the prompt triggering",
      );
    }
  });

  test("reasoning requests get max_completion_tokens and no sampling parameters", async () => {
    const { fake, svc, model } = ctx;
    await (await svc.post({ model, messages: user, reasoningEffort: "low", maxOutputTokens: 500, temperature: 0.3 })).json();
    const sent = fake.requests[0]!.body;
    expect(sent).toMatchObject({ reasoning_effort: "low", max_completion_tokens: 500 });
    expect(sent.max_tokens).toBeUndefined();
    expect(sent.temperature).toBeUndefined();
  });

  test("a configured apiVersion and an endpoint with a trailing slash reach the exact URL", async () => {
    const fake = await startCompatibleFake(QUIRKS.azure_openai({ deployment: "o3-mini", apiKey: "k2", apiVersion: "2025-04-01-preview" }));
    const svc = await startService({
      mapping: singleTargetMapping(
        { type: "azure_openai", endpoint: `${fake.url}/`, apiKey: "k2", apiVersion: "2025-04-01-preview" },
        "o3-mini",
      ),
    });
    try {
      const res = await svc.post({ model: "m", messages: user, maxOutputTokens: 100, temperature: 1 });
      expect(res.status).toBe(200);
      const sent = fake.requests[0]!;
      expect(sent.url).toBe("/openai/deployments/o3-mini/chat/completions?api-version=2025-04-01-preview");
      // An o-series deployment name follows OpenAI's reasoning-model rules.
      expect(sent.body.max_completion_tokens).toBe(100);
      expect(sent.body.temperature).toBeUndefined();
    } finally {
      await svc.stop();
      await fake.close();
    }
  });

  test("a wrong key is our credentials' failure, not the client's", async () => {
    const fake = await startCompatibleFake(QUIRKS.azure_openai({ deployment: DEPLOYMENT, apiKey: "right" }));
    const svc = await startService({
      mapping: singleTargetMapping({ type: "azure_openai", endpoint: fake.url, apiKey: "wrong-key-123" }, DEPLOYMENT),
    });
    try {
      const res = await svc.post({ model: "m", messages: user });
      expect(res.status).toBe(502);
      const body: any = await res.json();
      expect(body.message).toBe("azure_openai rejected the service's credentials (HTTP 401)");
    } finally {
      await svc.stop();
      await fake.close();
    }
  });
});
