/**
 * The doors ride the same routing as /api/v1/completions: an OpenAI SDK call served by Bedrock
 * (SigV4, event-stream), and an Anthropic SDK call whose first target fails and falls back to another.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { bedrockError, startBedrockFake, type BedrockFake } from "../fakes/bedrock/bedrock-fake";
import { startOpenAIFake } from "../fakes/openai/openai-fake";
import { startService, type Harness } from "../support/service-harness";

const REGION = "eu-west-1";
const CREDENTIALS = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
const MODEL_ID = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0";

let bedrock: BedrockFake;
let openai: Awaited<ReturnType<typeof startOpenAIFake>>;
let svc: Harness;

beforeAll(async () => {
  bedrock = await startBedrockFake({ region: REGION, credentials: CREDENTIALS });
  openai = await startOpenAIFake();
  svc = await startService({
    mapping: {
      providers: {
        b: { type: "anthropic_bedrock", region: REGION, endpoint: bedrock.url, ...CREDENTIALS, maxRetries: 0 },
        o: { type: "openai", apiKey: "k", baseUrl: `${openai.url}/v1`, maxRetries: 0 },
      },
      models: {
        claude: { strategy: "fallback", targets: [{ provider: "b", deploymentName: MODEL_ID }] },
        resilient: {
          strategy: "fallback",
          targets: [
            { provider: "b", deploymentName: MODEL_ID },
            { provider: "o", deploymentName: "gpt-4o-mini" },
          ],
        },
      },
    },
  });
});
afterAll(async () => {
  await svc.stop();
  await bedrock.close();
  await openai.close();
});

test("an OpenAI SDK stream served by Bedrock: text and a tool call by index, usage at the end", async () => {
  bedrock.answer(() => ({
    blocks: [
      { type: "text", pieces: ["Checking"] },
      { type: "tool_use", id: "toolu_b1", name: "get_weather", argumentPieces: ['{"city":"Ber', 'lin"}'] },
    ],
    usage: { input: 30, cacheRead: 10, output: 12 },
  }));
  const client = new OpenAI({ baseURL: `${svc.url}/v1`, apiKey: "x", maxRetries: 0 });
  const final = await client.chat.completions
    .stream({
      model: "claude",
      messages: [{ role: "user", content: "Weather in Berlin?" }],
      tools: [
        { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } },
      ],
      stream_options: { include_usage: true },
    })
    .finalChatCompletion();
  const message = final.choices[0]!.message;
  expect(message.content).toBe("Checking");
  expect(message.tool_calls?.map((c) => c.type === "function" && [c.id, c.function.name, c.function.arguments])).toEqual([
    ["toolu_b1", "get_weather", '{"city":"Berlin"}'],
  ]);
  expect(final.choices[0]!.finish_reason).toBe("tool_calls");
  expect(final.usage).toMatchObject({ prompt_tokens: 40, completion_tokens: 12, prompt_tokens_details: { cached_tokens: 10 } });
  const [event] = await svc.sink.waitFor(1);
  expect(event).toMatchObject({ api: "openai_chat", provider: "anthropic_bedrock", status: "success" });
});

test("an Anthropic SDK call whose first target fails is answered by the next, and the usage event names both", async () => {
  svc.sink.events.length = 0;
  bedrock.answer(() => bedrockError(500, "InternalServerException", "bedrock is down"));
  openai.answer(() => ({ text: ["from the fallback"], usage: { prompt_tokens: 6, completion_tokens: 3 } }));
  const client = new Anthropic({ baseURL: svc.url, apiKey: "x", maxRetries: 0 });
  const message = await client.messages.create({ model: "resilient", max_tokens: 50, messages: [{ role: "user", content: "hi" }] });
  expect(message.content).toEqual([{ type: "text", text: "from the fallback" }] as unknown as Anthropic.ContentBlock[]);
  const [event] = await svc.sink.waitFor(1);
  expect(event).toMatchObject({
    api: "anthropic_messages",
    provider: "openai",
    status: "success",
    attempts: [{ providerId: "b", deploymentName: MODEL_ID }],
  });
});
