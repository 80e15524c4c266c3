/** The `vllm` provider through the real SDK client, against the vLLM flavour of the compatible fake. */
import { describe, expect, test } from "bun:test";
import { compatibleResponse, QUIRKS, startCompatibleFake, vllmError } from "../fakes/openai-compatible/compatible-fake";
import { grammarViolations, readNdjson, streamedText } from "../support/ndjson";
import { expectStreamFailed } from "../support/provider-scenarios";
import { singleTargetMapping, startService } from "../support/service-harness";
import { describeCompatibleProvider, user } from "./openai-compatible-suite";

const ctx = describeCompatibleProvider({
  type: "vllm",
  quirks: QUIRKS.vllm(),
  provider: (url) => ({ type: "vllm", baseUrl: `${url}/v1` }),
  deploymentName: "meta-llama/Llama-3.1-8B-Instruct",
  maxTokensField: "max_tokens",
  streamUsageOption: true,
  tools: "parallel",
  json: "json_schema",
  error: (status, message, _code, headers) => vllmError(status, message, { headers }),
  reportsUsage: true,
});

describe("vllm: quirks", () => {
  test("with no apiKey no Authorization header goes out", async () => {
    const { fake, svc, model } = ctx;
    await (await svc.post({ model, messages: user })).json();
    expect(fake.requests[0]!.headers.authorization).toBeUndefined();
    expect(fake.requests[0]!.headers["api-key"]).toBeUndefined();
  });

  test("with an apiKey it is sent as a Bearer token", async () => {
    const fake = await startCompatibleFake(QUIRKS.vllm({ apiKey: "vllm-secret" }));
    const svc = await startService({
      mapping: singleTargetMapping({ type: "vllm", baseUrl: `${fake.url}/v1`, apiKey: "${VLLM_KEY}" }),
      env: { VLLM_KEY: "vllm-secret" },
    });
    try {
      const res = await svc.post({ model: "m", messages: user });
      expect(res.status).toBe(200);
      expect(fake.requests[0]!.headers.authorization).toBe("Bearer vllm-secret");
    } finally {
      await svc.stop();
      await fake.close();
    }
  });

  test("continuous usage: running totals on every chunk, the last one counts", async () => {
    const { fake, svc, model } = ctx;
    fake.answer(() => ({ text: ["a", "b", "c", "d"], usage: { prompt_tokens: 226, completion_tokens: 20 } }));
    const lines = await readNdjson(await svc.post({ model, messages: user, stream: true }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines.filter((l) => l.type === "usage")).toEqual([{ type: "usage", inputTokens: 226, outputTokens: 20 }]);
  });

  test("a call's first fragment without arguments and the trailing empty fragment make one call", async () => {
    const { fake, svc, model } = ctx;
    fake.answer(() => ({
      toolCalls: [{ id: "chatcmpl-tool-b3b3c0ffee", name: "searchGoogle", argumentPieces: ['{"query": ', '"latest ai news"}'] }],
      usage: { prompt_tokens: 226, completion_tokens: 20 },
    }));
    const lines = await readNdjson(await svc.post({ model, messages: user, stream: true, tools: [{ name: "searchGoogle" }] }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines).toEqual([
      { type: "tool_call_start", id: "chatcmpl-tool-b3b3c0ffee", name: "searchGoogle" },
      { type: "tool_call_delta", id: "chatcmpl-tool-b3b3c0ffee", arguments: '{"query": ' },
      { type: "tool_call_delta", id: "chatcmpl-tool-b3b3c0ffee", arguments: '"latest ai news"}' },
      { type: "tool_call_end", id: "chatcmpl-tool-b3b3c0ffee", name: "searchGoogle", arguments: '{"query": "latest ai news"}' },
      { type: "usage", inputTokens: 226, outputTokens: 20 },
      { type: "finish", finishReason: "tool_calls" },
    ]);
  });

  test("a call whose arguments never came is closed with {}", async () => {
    const { fake, svc, model } = ctx;
    fake.answer(() => ({
      toolCalls: [{ id: "chatcmpl-tool-1", name: "now", argumentPieces: [] }],
      usage: { prompt_tokens: 10, completion_tokens: 3 },
    }));
    const lines = await readNdjson(await svc.post({ model, messages: user, stream: true, tools: [{ name: "now" }] }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines.find((l) => l.type === "tool_call_end")).toEqual({
      type: "tool_call_end",
      id: "chatcmpl-tool-1",
      name: "now",
      arguments: "{}",
    });
  });

  for (const field of ["reasoning", "reasoning_content"] as const) {
    test(`reasoning in delta.${field} is not shown, and is counted when usage is estimated`, async () => {
      const { fake, svc, model } = ctx;
      const reasoning = ["The user asks about Paris. ", "I should say it is sunny."];
      fake.answer((req) => compatibleResponse({ ...fake.quirks, reasoningField: field }, req, { reasoning, text: ["Sunny."] }));
      const lines = await readNdjson(await svc.post({ model, messages: user, stream: true }));
      expect(grammarViolations(lines)).toEqual([]);
      expect(streamedText(lines)).toBe("Sunny.");
      const usage = lines.find((l) => l.type === "usage") as { outputTokens: number };
      expect(usage.outputTokens).toBeGreaterThan(10); // the reasoning's tokens, not just "Sunny."
    });
  }

  test("topK, seed and penalties are sent", async () => {
    const { fake, svc, model } = ctx;
    await (
      await svc.post({ model, messages: user, topK: 40, seed: 7, presencePenalty: 0.5, frequencyPenalty: 0.25, reasoningEffort: "low" })
    ).json();
    expect(fake.requests[0]!.body).toMatchObject({
      top_k: 40,
      seed: 7,
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
      reasoning_effort: "low",
    });
  });

  test("the older flat error body with an integer code is read", async () => {
    const { fake, svc, model } = ctx;
    fake.answer(() =>
      vllmError(400, "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.", { flat: true }),
    );
    const res = await svc.post({ model, messages: user });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      code: "upstream_invalid_request",
      message: "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.",
    });
  });

  test("an older flat error chunk mid-stream is an error line with its message", async () => {
    const { fake, svc, model } = ctx;
    fake.answer(() => ({ text: ["Partial"], midStreamError: { message: "CUDA out of memory", flat: true } }));
    const lines = await readNdjson(await svc.post({ model, messages: user, stream: true }));
    const error = expectStreamFailed(lines);
    expect(error).toEqual({ type: "error", code: "upstream_error", message: "vllm answer failed: CUDA out of memory" });
  });

  test("images are sent as image_url parts", async () => {
    const { fake, svc, model } = ctx;
    const res = await svc.post({
      model,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image", url: "https://example.com/cat.png" },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(fake.requests[0]!.body.messages[0].content).toEqual([
      { type: "text", text: "What is this?" },
      { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
    ]);
  });
});
