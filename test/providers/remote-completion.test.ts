/**
 * The `remote_completion` provider (any OpenAI-compatible endpoint) through the real SDK client,
 * against a loose server: no usage, no `[DONE]`, `: ping` comments, CRLF framing, whole tool
 * calls without `index` or `type`.
 */
import { describe, expect, test } from "bun:test";
import { createLogger } from "../../src/observability/logger";
import { sseData } from "../fakes/fake-upstream";
import { compatibleResponse, openAIError, QUIRKS, startCompatibleFake } from "../fakes/openai-compatible/compatible-fake";
import { grammarViolations, readNdjson, streamedText } from "../support/ndjson";
import { expectStreamFailed } from "../support/provider-scenarios";
import { singleTargetMapping, startService } from "../support/service-harness";
import { describeCompatibleProvider, user } from "./openai-compatible-suite";

const ctx = describeCompatibleProvider({
  type: "remote_completion",
  quirks: QUIRKS.remote_completion(),
  provider: (url) => ({
    type: "remote_completion",
    baseUrl: `${url}/api/openai/v1`,
    headers: { "X-Tenant": "acme", "X-Gateway-Token": "${GW_TOKEN}" },
  }),
  env: { GW_TOKEN: "gw-secret-token" },
  deploymentName: "qwen2.5-72b-instruct",
  maxTokensField: "max_tokens",
  streamUsageOption: true,
  tools: "parallel",
  json: "json_schema",
  error: (status, message, code, headers) => openAIError(status, message, "invalid_request_error", code, headers),
  reportsUsage: false,
});

describe("remote_completion: quirks", () => {
  test("the mapping's headers go on every call, and no Authorization without a key", async () => {
    const { fake, svc, model } = ctx;
    await (await svc.post({ model, messages: user })).json();
    await readNdjson(await svc.post({ model, messages: user, stream: true }));
    expect(fake.requests).toHaveLength(2);
    for (const sent of fake.requests) {
      expect(sent.headers["x-tenant"]).toBe("acme");
      expect(sent.headers["x-gateway-token"]).toBe("gw-secret-token");
      expect(sent.headers.authorization).toBeUndefined();
    }
  });

  test("a missing usage is estimated, a missing [DONE] after the finish is a normal end", async () => {
    const { fake, svc, model } = ctx;
    fake.answer(() => ({ text: ["Hello there, friend"] }));
    const lines = await readNdjson(await svc.post({ model, messages: user, stream: true }));
    expect(grammarViolations(lines)).toEqual([]);
    const usage = lines.find((l) => l.type === "usage") as { inputTokens: number; outputTokens: number };
    expect(usage.outputTokens).toBe(4); // "Hello there, friend" in o200k
    expect(usage.inputTokens).toBeGreaterThan(5);
    expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "stop" });
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({ status: "success", usageSource: "estimated" });
  });

  test("a stream that ends with no finish reason and no [DONE] was cut short: an error line", async () => {
    const { fake, svc, model } = ctx;
    const chunk = {
      id: "gen-1",
      object: "chat.completion.chunk",
      created: 1,
      model: "m",
      choices: [{ index: 0, delta: { content: "Half" }, finish_reason: null }],
    };
    fake.answer(() => ({ status: 200, headers: { "content-type": "text/event-stream" }, body: [{ write: sseData(chunk, "\r\n") }] }));
    const lines = await readNdjson(await svc.post({ model, messages: user, stream: true }));
    const error = expectStreamFailed(lines);
    expect(streamedText(lines)).toBe("Half");
    expect(error).toMatchObject({ code: "upstream_error", message: "upstream stream ended before a finish reason" });
  });

  test("whole tool calls without index or type, each in its own chunk, stay separate calls", async () => {
    const { fake, svc, model } = ctx;
    fake.answer(() => ({
      toolCalls: [
        { id: "call_x", name: "lookup", argumentPieces: ['{"q":"a"}'] },
        { id: "call_y", name: "lookup", argumentPieces: ['{"q":"b"}'] },
        { id: "call_z", name: "lookup", argumentPieces: ['{"q":"c"}'] },
      ],
    }));
    const body: any = await (await svc.post({ model, messages: user, tools: [{ name: "lookup" }], stream: false })).json();
    expect(body.output.map((c: { id: string; arguments: string }) => [c.id, c.arguments])).toEqual([
      ["call_x", '{"q":"a"}'],
      ["call_y", '{"q":"b"}'],
      ["call_z", '{"q":"c"}'],
    ]);
    const lines = await readNdjson(await svc.post({ model, messages: user, tools: [{ name: "lookup" }], stream: true }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines.filter((l) => l.type === "tool_call_end").map((l) => (l as { arguments: string }).arguments)).toEqual([
      '{"q":"a"}',
      '{"q":"b"}',
      '{"q":"c"}',
    ]);
  });

  test("reasoning_content (DeepSeek-style) is counted, not shown; usage on the finish chunk is read", async () => {
    const { fake, svc, model } = ctx;
    fake.answer((req) =>
      compatibleResponse({ ...fake.quirks, usage: "last_chunk" }, req, {
        reasoning: ["Think."],
        text: ["42"],
        usage: { prompt_tokens: 11, completion_tokens: 9 },
      }),
    );
    const lines = await readNdjson(await svc.post({ model, messages: user, stream: true }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(streamedText(lines)).toBe("42");
    expect(lines.at(-2)).toEqual({ type: "usage", inputTokens: 11, outputTokens: 9 });
  });

  test("plain-text error bodies are passed on once, without the status repeated", async () => {
    const { fake, svc, model } = ctx;
    fake.answer(() => ({
      status: 503,
      headers: { "content-type": "text/plain" },
      body: "upstream connect error or disconnect/reset before headers",
    }));
    const res = await svc.post({ model, messages: user });
    expect(res.status).toBe(502);
    expect(((await res.json()) as any).message).toBe(
      "remote_completion failed (HTTP 503): upstream connect error or disconnect/reset before headers",
    );
  });

  test("a key is sent as Bearer; headers and key never reach the logs", async () => {
    const fake = await startCompatibleFake(QUIRKS.remote_completion({ apiKey: "remote-key-987", basePath: "/v1" }));
    const logs: string[] = [];
    const svc = await startService({
      mapping: singleTargetMapping({
        type: "remote_completion",
        baseUrl: `${fake.url}/v1`,
        apiKey: "remote-key-987",
        headers: { "X-Secret": "header-secret-654" },
      }),
      logger: createLogger("debug", {}, (line) => logs.push(line)),
    });
    try {
      await (await svc.post({ model: "m", messages: user, topK: 3 })).json();
      expect(fake.requests[0]!.headers.authorization).toBe("Bearer remote-key-987");
      expect(fake.requests[0]!.headers["x-secret"]).toBe("header-secret-654");
      fake.answer(() => openAIError(401, "bad key remote-key-987", "invalid_request_error", "invalid_api_key"));
      const failed = await svc.post({ model: "m", messages: user });
      expect(await failed.text()).not.toContain("remote-key-987");
      expect(logs.length).toBeGreaterThan(0);
      expect(logs.some((l) => l.includes('"dropped":["topK"]'))).toBe(true);
      for (const line of logs) {
        expect(line).not.toContain("remote-key-987");
        expect(line).not.toContain("header-secret-654");
      }
    } finally {
      await svc.stop();
      await fake.close();
    }
  });

  test("a mapping header may carry the Authorization itself", async () => {
    const fake = await startCompatibleFake({ ...QUIRKS.remote_completion({ basePath: "/v1" }), auth: undefined });
    const svc = await startService({
      mapping: singleTargetMapping({
        type: "remote_completion",
        baseUrl: `${fake.url}/v1`,
        headers: { authorization: "Token custom-scheme" },
      }),
    });
    try {
      await (await svc.post({ model: "m", messages: user })).json();
      expect(fake.requests[0]!.headers.authorization).toBe("Token custom-scheme");
    } finally {
      await svc.stop();
      await fake.close();
    }
  });
});
