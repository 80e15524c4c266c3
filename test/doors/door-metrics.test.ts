/**
 * The completion metrics say which door a completion came through: a JSON answer and a stream
 * through each of /api/v1/completions, /v1/chat/completions (the `openai` SDK) and /v1/messages
 * (`@anthropic-ai/sdk`) are counted on /metrics under `api`, the value of their usage events.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { DEMO_MAPPING } from "../../src/config/demo-mapping";
import { readNdjson } from "../support/ndjson";
import { startService, type Harness } from "../support/service-harness";

let svc: Harness;

beforeAll(async () => {
  svc = await startService({ mapping: DEMO_MAPPING });
});
afterAll(() => svc.stop());

/** Reads an SDK's stream to its end: the chunks it had. */
async function count(stream: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of stream) n++;
  return n;
}

test("a completion through each door is counted under its api on /metrics", async () => {
  const hello = [{ role: "user" as const, content: "hi" }];
  await (await svc.post({ model: "demo", messages: hello })).json();
  await readNdjson(await svc.post({ model: "demo", messages: hello, stream: true }));

  const openai = new OpenAI({ baseURL: `${svc.url}/v1`, apiKey: "unused-in-public-mode", maxRetries: 0 });
  await openai.chat.completions.create({ model: "demo", messages: hello });
  expect(
    await count(
      await openai.chat.completions.create({ model: "demo", messages: hello, stream: true, stream_options: { include_usage: true } }),
    ),
  ).toBeGreaterThan(1);

  const anthropic = new Anthropic({ baseURL: svc.url, apiKey: "unused-in-public-mode", maxRetries: 0 });
  await anthropic.messages.create({ model: "demo", max_tokens: 64, messages: hello });
  expect(await count(await anthropic.messages.create({ model: "demo", max_tokens: 64, messages: hello, stream: true }))).toBeGreaterThan(1);

  const events = await svc.sink.waitFor(6);
  expect(events.map((e) => e.api).sort()).toEqual([
    "anthropic_messages",
    "anthropic_messages",
    "completions",
    "completions",
    "openai_chat",
    "openai_chat",
  ]);
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  for (const api of ["completions", "openai_chat", "anthropic_messages"]) {
    const labels = `model="demo",provider="mock",api="${api}"`;
    expect(text).toContain(`completion_requests_total{${labels},stream="false",status="success"} 1`);
    expect(text).toContain(`completion_requests_total{${labels},stream="true",status="success"} 1`);
    expect(text).toContain(`completion_request_duration_seconds_count{${labels},stream="false"} 1`);
    expect(text).toContain(`completion_request_duration_seconds_count{${labels},stream="true"} 1`);
    expect(text).toContain(`completion_time_to_first_token_seconds_count{${labels}} 1`);
    expect(text).toMatch(new RegExp(`completion_tokens_total\\{${labels},kind="output"\\} [1-9]`));
  }
  // Nothing is counted without a door.
  expect(text).not.toMatch(/completion_requests_total\{(?![^}]*api=)/);
});
