/**
 * Shutdown drains front-door streams like any other: a stream open when the service is told to
 * stop runs to its end, and a request arriving while it drains is refused in the door's shape.
 */
import { expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startOpenAIFake } from "../fakes/openai/openai-fake";
import { singleTargetMapping, startService } from "../support/service-harness";

test("an OpenAI-door stream open at shutdown finishes; new door requests get 503 in each API's shape", async () => {
  const fake = await startOpenAIFake();
  const svc = await startService({ mapping: singleTargetMapping({ type: "openai", apiKey: "k", baseUrl: `${fake.url}/v1` }) });
  try {
    fake.answer(() => ({ text: ["one ", "two ", "three ", "four"], chunkDelayMs: 150, usage: { prompt_tokens: 4, completion_tokens: 4 } }));
    const openai = new OpenAI({ baseURL: `${svc.url}/v1`, apiKey: "x", maxRetries: 0 });
    const stream = await openai.chat.completions.create({ model: "m", messages: [{ role: "user", content: "count" }], stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    let text = "";
    const first = await iterator.next();
    text += first.value?.choices[0]?.delta.content ?? "";
    expect(svc.service.health().checks.activeStreams).toBe(1);

    const stopping = svc.service.stop(10_000);
    const refused = await openai.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.InternalServerError);
    expect(refused.status).toBe(503);
    expect(refused.error).toMatchObject({ code: "unavailable", message: "the service is shutting down" });
    const anthropic = new Anthropic({ baseURL: svc.url, apiKey: "x", maxRetries: 0 });
    const refusedToo = await anthropic.messages
      .create({ model: "m", max_tokens: 5, messages: [{ role: "user", content: "hi" }] })
      .catch((e) => e);
    expect(refusedToo.status).toBe(503);
    expect(refusedToo.error).toMatchObject({ type: "error", error: { type: "overloaded_error" } });

    for (let next = await iterator.next(); !next.done; next = await iterator.next()) text += next.value.choices[0]?.delta.content ?? "";
    expect(text).toBe("one two three four");
    await stopping;
    const [event] = svc.sink.events.filter((e) => e.status === "success");
    expect(event).toMatchObject({ api: "openai_chat", stream: true, outputTokens: 4 });
  } finally {
    await svc.stop();
    await fake.close();
  }
});
