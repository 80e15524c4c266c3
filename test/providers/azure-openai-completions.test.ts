/**
 * The `azure_openai_completions` provider (legacy text completions) through the SDK's
 * AzureOpenAI client, against the `text_completion` flavour of the compatible fake.
 */
import { describe, expect, test } from "bun:test";
import { renderCompletionPrompt } from "../../src/providers/openai-compatible/render-completion-prompt";
import { openAIError, QUIRKS } from "../fakes/openai-compatible/compatible-fake";
import { grammarViolations, readNdjson, streamedText } from "../support/ndjson";
import { describeCompatibleProvider, user } from "./openai-compatible-suite";

const DEPLOYMENT = "instruct-prod";

const ctx = describeCompatibleProvider({
  type: "azure_openai_completions",
  quirks: QUIRKS.azure_openai_completions({ deployment: DEPLOYMENT, apiKey: "azure-secret" }),
  provider: (url) => ({ type: "azure_openai_completions", endpoint: url, apiKey: "azure-secret" }),
  deploymentName: DEPLOYMENT,
  maxTokensField: "max_tokens",
  streamUsageOption: true,
  tools: "none",
  json: "none",
  error: (status, message, code, headers) => openAIError(status, message, "invalid_request_error", code, headers),
  reportsUsage: true,
});

describe("azure_openai_completions: the prompt template", () => {
  test("system first, then User:/Assistant: turns, ending with Assistant:", () => {
    expect(
      renderCompletionPrompt([
        { role: "system", content: "You are terse." },
        { role: "developer", content: "Answer in English." },
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello." },
        {
          role: "user",
          content: [
            { type: "text", text: "Capital of France?" },
            { type: "text", text: "One word." },
          ],
        },
      ]),
    ).toBe("You are terse.\n\nAnswer in English.\n\nUser: Hi\n\nAssistant: Hello.\n\nUser: Capital of France?\nOne word.\n\nAssistant:");
    expect(renderCompletionPrompt([{ role: "user", content: "Hi" }])).toBe("User: Hi\n\nAssistant:");
  });

  test("the rendered prompt, the stop at the next user turn and the default limit are sent", async () => {
    const { fake, svc, model } = ctx;
    const res = await svc.post({
      model,
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Hi" },
      ],
      stream: true,
    });
    expect(grammarViolations(await readNdjson(res))).toEqual([]);
    const sent = fake.requests[0]!;
    expect(sent.url).toBe(`/openai/deployments/${DEPLOYMENT}/completions?api-version=2024-10-21`);
    expect(sent.headers["api-key"]).toBe("azure-secret");
    expect(sent.body).toEqual({
      model: DEPLOYMENT,
      prompt: "You are terse.\n\nUser: Hi\n\nAssistant:",
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 1024,
      stop: ["\nUser:"],
    });
    expect(sent.body.messages).toBeUndefined();
  });

  test("the client's stop sequences come first; at the API's limit of 4 none is added", async () => {
    const { fake, svc, model } = ctx;
    await (await svc.post({ model, messages: user, stop: ["END", "###"], maxOutputTokens: 50 })).json();
    expect(fake.requests[0]!.body).toMatchObject({ stop: ["END", "###", "\nUser:"], max_tokens: 50 });
    await (await svc.post({ model, messages: user, stop: ["a", "b", "c", "d"] })).json();
    expect(fake.requests[1]!.body.stop).toEqual(["a", "b", "c", "d"]);
  });
});

describe("azure_openai_completions: answers", () => {
  test("the space the model starts with after 'Assistant:' is not passed on", async () => {
    const { fake, svc, model } = ctx;
    fake.answer(() => ({ text: [" ", " Paris", " is the capital."], usage: { prompt_tokens: 10, completion_tokens: 5 } }));
    const lines = await readNdjson(await svc.post({ model, messages: user, stream: true }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines[0]).toEqual({ type: "text_delta_start", content: "Paris" });
    expect(streamedText(lines)).toBe("Paris is the capital.");
    const body: any = await (await svc.post({ model, messages: user })).json();
    expect(body.outputText).toBe("Paris is the capital.");
  });

  test("the last text chunk carries the finish reason; usage comes in its own chunk", async () => {
    const { fake, svc, model } = ctx;
    fake.answer(() => ({ text: ["The", " holiday", " to"], finishReason: "length", usage: { prompt_tokens: 14, completion_tokens: 16 } }));
    const lines = await readNdjson(await svc.post({ model, messages: user, stream: true }));
    expect(lines).toEqual([
      { type: "text_delta_start", content: "The" },
      { type: "text_delta", content: " holiday" },
      { type: "text_delta", content: " to" },
      { type: "text_delta_end", content: "" },
      { type: "usage", inputTokens: 14, outputTokens: 16 },
      { type: "finish", finishReason: "length" },
    ]);
  });

  test("an answer cut by the content filter finishes with content_filter", async () => {
    const { fake, svc, model } = ctx;
    fake.answer(() => ({ text: ["Here"], finishReason: "content_filter", usage: { prompt_tokens: 14, completion_tokens: 1 } }));
    const lines = await readNdjson(await svc.post({ model, messages: user, stream: true }));
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "content_filter" });
  });
});

describe("azure_openai_completions: what the legacy API cannot do is a 400 naming the field", () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ["tools", { tools: [{ name: "get_weather" }] }, ["tools"]],
    ["a required tool choice", { toolChoice: "required" }, ["toolChoice"]],
    ["JSON output", { responseFormat: { type: "json_object" } }, ["responseFormat.type"]],
    ["JSON schema output", { responseFormat: { type: "json_schema", schema: { type: "object" } } }, ["responseFormat.type"]],
    [
      "an image",
      {
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "What is it?" },
              { type: "image", url: "https://example.com/a.png" },
            ],
          },
        ],
      },
      ["messages[0].content[1]"],
    ],
    [
      "tool calls in the history",
      {
        messages: [
          { role: "user", content: "Weather?" },
          { role: "assistant", toolCalls: [{ id: "call_1", name: "get_weather", arguments: "{}" }] },
          { role: "tool", toolCallId: "call_1", content: "sunny" },
        ],
      },
      ["messages[1].toolCalls", "messages[2].role"],
    ],
  ];
  for (const [name, extra, fields] of cases) {
    test(name, async () => {
      const { fake, svc, model } = ctx;
      for (const stream of [false, true]) {
        const res = await svc.post({ model, messages: user, stream, ...extra });
        expect(res.status).toBe(400);
        const body: any = await res.json();
        expect(body.code).toBe("invalid_request");
        expect(body.details.map((d: { field: string }) => d.field)).toEqual(fields);
        expect(body.message).toContain(fields.length === 1 ? fields[0]! : `${fields.length} fields`);
        expect(body.details[0].message).toContain("azure_openai_completions");
      }
      expect(fake.requests).toHaveLength(0);
    });
  }

  test("a text response format and toolChoice none are fine", async () => {
    const { svc, model } = ctx;
    const res = await svc.post({ model, messages: user, responseFormat: { type: "text" }, toolChoice: "none" });
    expect(res.status).toBe(200);
  });
});
