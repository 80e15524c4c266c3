/**
 * Request builders are pure: our request in, the provider's body and the parameters it dropped or
 * adjusted out (the runner logs those once), nothing sent, nothing logged.
 */
import { describe, expect, test } from "bun:test";
import type { CompletionRequest } from "../../src/core/request";
import { buildAnthropicMessagesBody } from "../../src/providers/anthropic/anthropic-request-body";
import { azureOpenAICompletionsProvider } from "../../src/providers/azure/azure-provider";
import { buildGoogleRequest } from "../../src/providers/google/google-request-params";
import { jambaProvider } from "../../src/providers/jamba/jamba-provider";
import { buildMistralRequest } from "../../src/providers/mistral/mistral-request";
import { buildOllamaChatBody } from "../../src/providers/ollama/ollama-request-body";
import { buildOpenAICompletionBody } from "../../src/providers/openai-compatible/openai-completion-body";
import { buildOpenAIChatBody } from "../../src/providers/openai-compatible/openai-request-body";
import { openaiProvider } from "../../src/providers/openai/openai-provider";
import { vllmProvider } from "../../src/providers/vllm/vllm-provider";

const request = (fields: Partial<CompletionRequest>): CompletionRequest => ({
  model: "m",
  messages: [{ role: "user", content: "Hi" }],
  stream: false,
  ...fields,
});

describe("OpenAI-compatible dialects", () => {
  test("openai drops topK and says so; vllm sends it as top_k", () => {
    const openai = buildOpenAIChatBody(request({ topK: 40 }), "gpt-4o", openaiProvider.dialect);
    expect(openai.warnings).toEqual(["topK"]);
    expect(openai.body).not.toHaveProperty("top_k");
    const vllm = buildOpenAIChatBody(request({ topK: 40 }), "qwen3", vllmProvider.dialect);
    expect(vllm.warnings).toEqual([]);
    expect(vllm.body).toMatchObject({ top_k: 40 });
  });

  test("openai puts the limit in max_completion_tokens, jamba in max_tokens and drops the seed", () => {
    expect(buildOpenAIChatBody(request({ maxOutputTokens: 100 }), "gpt-4o", openaiProvider.dialect).body).toMatchObject({
      max_completion_tokens: 100,
    });
    const jamba = buildOpenAIChatBody(request({ maxOutputTokens: 100, seed: 7 }), "jamba-large", jambaProvider.dialect);
    expect(jamba.body).toMatchObject({ max_tokens: 100 });
    expect(jamba.warnings).toContain("seed");
  });

  test("legacy completions: a prompt, a default limit, reasoningEffort dropped", () => {
    const plan = buildOpenAICompletionBody(
      request({ reasoningEffort: "low" }),
      "gpt-35-turbo-instruct",
      azureOpenAICompletionsProvider.dialect,
    );
    expect(typeof plan.body.prompt).toBe("string");
    expect(plan.body.max_tokens).toBeGreaterThan(16);
    expect(plan.warnings).toEqual(["reasoningEffort"]);
  });
});

describe("SDK and native providers", () => {
  test("anthropic caps the temperature and drops the seed, as warnings", () => {
    const plan = buildAnthropicMessagesBody(request({ temperature: 1.5, seed: 3 }), "anthropic");
    expect(plan.body.temperature).toBe(1);
    expect(plan.warnings).toEqual(["seed", "temperature 1.5 → 1"]);
  });

  test("mistral drops topK, as a warning", () => {
    const plan = buildMistralRequest(request({ topK: 5, temperature: 0.2 }), "mistral-large-latest");
    expect(plan.warnings).toEqual(["topK"]);
    expect(plan.body).toMatchObject({ model: "mistral-large-latest", temperature: 0.2 });
  });

  test("ollama cannot enforce a required tool choice, and says so", () => {
    const tools = [{ name: "get_weather", parameters: { type: "object", properties: {} } }];
    const plan = buildOllamaChatBody(request({ tools, toolChoice: "required" }), "llama3.2");
    expect(plan.body.tools).toHaveLength(1);
    expect(plan.warnings).toEqual(["toolChoice required (cannot be enforced)"]);
  });

  test("google's parameters carry no signal until the call is sent", () => {
    const plan = buildGoogleRequest(request({ temperature: 0.5 }), "gemini-2.5-flash");
    expect(plan.body.config).toMatchObject({ temperature: 0.5 });
    expect(plan.body.config).not.toHaveProperty("abortSignal");
  });
});
