/**
 * A parameter a provider cannot take is dropped, and the operator learns it from one debug line
 * of one shape, whichever provider dropped it.
 */
import { expect, test } from "bun:test";
import { createLogger } from "../../src/observability/logger";
import { startMistralFake } from "../fakes/mistral/mistral-fake";
import { startOllamaFake } from "../fakes/ollama/ollama-fake";
import { singleTargetMapping, startService } from "../support/service-harness";

const user = [{ role: "user", content: "Hi" }];
const tools = [{ name: "get_weather", parameters: { type: "object", properties: {} } }];

async function droppedLines(provider: Record<string, unknown>, request: Record<string, unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const svc = await startService({ mapping: singleTargetMapping(provider), logger: createLogger("debug", {}, (line) => lines.push(line)) });
  try {
    const res = await svc.post({ model: "m", messages: user, ...request });
    expect(res.status).toBe(200);
    await res.json();
  } finally {
    await svc.stop();
  }
  return lines
    .flatMap((text) => text.split("\n").filter(Boolean))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter(
      (entry) =>
        entry.msg === "parameters dropped or adjusted for provider" || entry.message === "parameters dropped or adjusted for provider",
    );
}

test("mistral: topK is dropped and said once, with the provider type", async () => {
  const fake = await startMistralFake({ apiKey: "k" });
  try {
    fake.answer(() => ({ text: ["Hello"], usage: { prompt_tokens: 3, completion_tokens: 1 } }));
    const lines = await droppedLines({ type: "mistral", apiKey: "k", baseUrl: fake.url }, { topK: 5 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ provider: "mistral", deploymentName: "upstream-model", dropped: ["topK"] });
  } finally {
    await fake.close();
  }
});

test("ollama: a required tool choice it cannot enforce is said in the same line", async () => {
  const fake = await startOllamaFake();
  try {
    fake.answer(() => ({ text: ["Hello"] }));
    const lines = await droppedLines({ type: "ollama", baseUrl: fake.url }, { tools, toolChoice: "required" });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ provider: "ollama", dropped: ["toolChoice required (cannot be enforced)"] });
  } finally {
    await fake.close();
  }
});
