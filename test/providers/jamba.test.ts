/** The `jamba` provider (AI21) through the real SDK client, against the AI21 flavour of the compatible fake. */
import { describe, expect, test } from "bun:test";
import { jambaError, openAIError, QUIRKS } from "../fakes/openai-compatible/compatible-fake";
import { grammarViolations, readNdjson } from "../support/ndjson";
import { describeCompatibleProvider, user } from "./openai-compatible-suite";

const ctx = describeCompatibleProvider({
  type: "jamba",
  quirks: QUIRKS.jamba({ apiKey: "ai21-secret" }),
  provider: (url) => ({ type: "jamba", baseUrl: `${url}/studio/v1`, apiKey: "ai21-secret" }),
  deploymentName: "jamba-large",
  maxTokensField: "max_tokens",
  streamUsageOption: false,
  tools: "parallel",
  json: "json_object",
  error: (status, message, _code, headers) => jambaError(status, message, headers),
  reportsUsage: true,
});

describe("jamba: quirks", () => {
  test("the key goes as a Bearer token", async () => {
    const { fake, svc, model } = ctx;
    await (await svc.post({ model, messages: user })).json();
    expect(fake.requests[0]!.headers.authorization).toBe("Bearer ai21-secret");
  });

  test("usage is null on every chunk but the last, which also carries the finish reason", async () => {
    const { fake, svc, model } = ctx;
    fake.answer(() => ({ text: ["Hi", "!"], usage: { prompt_tokens: 12, completion_tokens: 2 } }));
    const lines = await readNdjson(await svc.post({ model, messages: user, stream: true }));
    expect(lines).toEqual([
      { type: "text_delta_start", content: "Hi" },
      { type: "text_delta", content: "!" },
      { type: "text_delta_end", content: "" },
      { type: "usage", inputTokens: 12, outputTokens: 2 },
      { type: "finish", finishReason: "stop" },
    ]);
  });

  test("text parts are joined into the string content Jamba takes", async () => {
    const { fake, svc, model } = ctx;
    const res = await svc.post({
      model,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Summarise:" },
            { type: "text", text: "Jamba is a hybrid model." },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(fake.requests[0]!.body.messages).toEqual([{ role: "user", content: "Summarise:\nJamba is a hybrid model." }]);
  });

  test("an image part is a 400 naming it, and nothing is sent", async () => {
    const { fake, svc, model } = ctx;
    const res = await svc.post({
      model,
      messages: [
        { role: "system", content: "Be terse." },
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image", url: "data:image/png;base64,iVBORw0KGgo=" },
          ],
        },
      ],
      stream: true,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      code: "invalid_request",
      message: "messages[1].content[1]: image input is not supported by provider jamba",
      details: [{ field: "messages[1].content[1]", message: "image input is not supported by provider jamba" }],
    });
    expect(fake.requests).toHaveLength(0);
  });

  test("json_schema output is a 400 naming the field; json_object is supported", async () => {
    const { fake, svc, model } = ctx;
    const res = await svc.post({ model, messages: user, responseFormat: { type: "json_schema", schema: { type: "object" } } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      code: "invalid_request",
      details: [
        { field: "responseFormat.type", message: '"json_schema" is not supported by provider jamba (it supports text, json_object)' },
      ],
    });
    expect(fake.requests).toHaveLength(0);
  });

  test("topK, seed and penalties are not sent; temperature, topP and the limit are", async () => {
    const { fake, svc, model } = ctx;
    await (
      await svc.post({
        model,
        messages: user,
        topK: 5,
        seed: 1,
        presencePenalty: 1,
        frequencyPenalty: 1,
        temperature: 0.4,
        topP: 0.8,
        maxOutputTokens: 200,
      })
    ).json();
    const sent = fake.requests[0]!.body;
    expect(sent).toMatchObject({ temperature: 0.4, top_p: 0.8, max_tokens: 200 });
    for (const key of ["top_k", "seed", "presence_penalty", "frequency_penalty", "stream_options", "reasoning_effort"])
      expect(sent[key]).toBeUndefined();
  });

  test("a whole tool call in one chunk, finish on the same chunk", async () => {
    const { fake, svc, model } = ctx;
    fake.answer(() => ({
      text: ["Let me check."],
      toolCalls: [{ id: "call_j1", name: "get_weather", argumentPieces: ['{"city":"Paris"}'] }],
      usage: { prompt_tokens: 30, completion_tokens: 12 },
    }));
    const lines = await readNdjson(await svc.post({ model, messages: user, stream: true, tools: [{ name: "get_weather" }] }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines).toEqual([
      { type: "text_delta_start", content: "Let me check." },
      { type: "text_delta_end", content: "" },
      { type: "tool_call_start", id: "call_j1", name: "get_weather" },
      { type: "tool_call_delta", id: "call_j1", arguments: '{"city":"Paris"}' },
      { type: "tool_call_end", id: "call_j1", name: "get_weather", arguments: '{"city":"Paris"}' },
      { type: "usage", inputTokens: 30, outputTokens: 12 },
      { type: "finish", finishReason: "tool_calls" },
    ]);
  });

  test("validation errors as a FastAPI detail list are passed on readably", async () => {
    const { fake, svc, model } = ctx;
    fake.answer(() => jambaError(422, [{ loc: ["body", "messages", 0, "content"], msg: "field required", type: "value_error.missing" }]));
    const res = await svc.post({ model, messages: user });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "upstream_invalid_request", message: "body.messages.0.content: field required" });
  });

  test("OpenAI-style error bodies are read too", async () => {
    const { fake, svc, model } = ctx;
    fake.answer(() => openAIError(400, "Prompt is too long", "invalid_request_error"));
    const res = await svc.post({ model, messages: user });
    expect(await res.json()).toMatchObject({ code: "upstream_invalid_request", message: "Prompt is too long" });
  });
});
