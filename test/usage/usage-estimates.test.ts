/**
 * Usage counted locally (a provider that reports none, a stream cut short) for text that quotes
 * special-token strings such as `<|endoftext|>` — common in conversations about LLMs. The text is
 * counted as text: the completion is served and its usage event is published.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { DEMO_MAPPING } from "../../src/config/demo-mapping";
import { startOpenAIFake } from "../fakes/openai/openai-fake";
import { readNdjson } from "../support/ndjson";
import { cancelMidStream } from "../support/provider-scenarios";
import { singleTargetMapping, startService, type Harness } from "../support/service-harness";

const quoting = [{ role: "user", content: "What do <|endoftext|> and <|im_start|> mean in a prompt?" }];

let demo: Harness;
beforeAll(async () => {
  demo = await startService({ mapping: DEMO_MAPPING });
});
afterAll(() => demo.service.stop(0));

test("the demo model (it counts usage with the local tokenizer) answers such a prompt, JSON and streamed, with events", async () => {
  const json = await demo.post({ model: "demo", messages: quoting });
  expect(json.status).toBe(200);
  const streamed = await readNdjson(await demo.post({ model: "demo", messages: quoting, stream: true }));
  expect(streamed.at(-1)).toEqual({ type: "finish", finishReason: "stop" });
  const events = await demo.sink.waitFor(2);
  for (const event of events) expect(event).toMatchObject({ status: "success", finishReason: "stop" });
  // Counted as text: each special-token string is several tokens.
  expect(events[0]!.inputTokens).toBeGreaterThan(20);
});

test("a stream cut short by its client still publishes its estimated usage", async () => {
  const fake = await startOpenAIFake({
    answer: () => ({ text: Array.from({ length: 40 }, (_, i) => `<|endoftext|> piece ${i} `), chunkDelayMs: 50 }),
  });
  const svc = await startService({
    mapping: singleTargetMapping({ type: "openai", apiKey: "k", baseUrl: `${fake.url}/v1` }, "gpt-4o", "gpt-4o"),
  });
  try {
    const { event } = await cancelMidStream(svc, fake, { model: "gpt-4o", messages: quoting, stream: true });
    expect(event).toMatchObject({ status: "cancelled", usageSource: "estimated" });
    expect(event.inputTokens).toBeGreaterThan(20);
    expect(event.outputTokens).toBeGreaterThan(0);
  } finally {
    await svc.service.stop(0);
    await fake.close();
  }
});
