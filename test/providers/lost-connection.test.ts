/**
 * An upstream that drops the connection is reported in one wording for every provider type, with
 * nothing of the runtime's internals ("ECONNRESET: …, pass `verbose: true` …") in what the client
 * or the usage event gets; the technical code stays in the log line's `detail`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TCPSocketListener } from "bun";
import { startAnthropicFake } from "../fakes/anthropic/anthropic-fake";
import { startBedrockFake } from "../fakes/bedrock/bedrock-fake";
import type { FakeUpstream } from "../fakes/fake-upstream";
import { startMistralFake } from "../fakes/mistral/mistral-fake";
import { startOllamaFake } from "../fakes/ollama/ollama-fake";
import { startOpenAIFake } from "../fakes/openai/openai-fake";
import { readNdjson, streamedText } from "../support/ndjson";
import { providersAt } from "../support/provider-at";
import { singleTargetMapping, startService, type Harness } from "../support/service-harness";
import { createLogger } from "../../src/observability/logger";

/** Accepts connections and closes each one as soon as the request's first bytes arrive. */
let dropper: TCPSocketListener;
let svc: Harness;
const logLines: string[] = [];
const user = [{ role: "user", content: "Hi" }];

const PROVIDERS = providersAt(["openai", "vllm", "anthropic", "google", "mistral", "ollama", "anthropic_bedrock"]);

beforeAll(async () => {
  dropper = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket) {
        socket.end();
      },
    },
  });
  const url = `http://127.0.0.1:${dropper.port}`;
  const providers: Record<string, unknown> = {};
  const models: Record<string, unknown> = {};
  for (const [type, provider] of Object.entries(PROVIDERS)) {
    providers[type] = { ...provider(url), maxRetries: 0 };
    models[type] = { targets: [{ provider: type, deploymentName: "some-model" }] };
  }
  svc = await startService({ mapping: { providers, models }, logger: createLogger("debug", {}, (line) => logLines.push(line)) });
}, 30_000); // six SDKs to load
afterAll(async () => {
  await svc.stop();
  dropper.stop(true);
});

for (const type of Object.keys(PROVIDERS)) {
  for (const stream of [false, true]) {
    test(`${type} (stream: ${stream}): "connection to ${type} lost: the upstream closed the connection"`, async () => {
      const res = await svc.post({ model: type, messages: user, stream });
      expect(res.status).toBe(502);
      const body = (await res.json()) as { code: string; message: string };
      expect(body).toMatchObject({ code: "upstream_error", message: `connection to ${type} lost: the upstream closed the connection` });
      const requestId = res.headers.get("x-request-id")!;
      const event = await svc.sink.eventFor(requestId);
      expect(event.error).toEqual({ code: "upstream_error", message: body.message });
      expect(event.attempts.map((a) => a.error)).toEqual([`upstream_error: ${body.message}`]);
      // The runtime's wording is for us: in the log line's detail field only.
      const failed = logLines.map((l) => JSON.parse(l)).find((l) => l.requestId === requestId && l.msg === "upstream attempt failed");
      expect(failed).toMatchObject({ message: body.message, retryable: true });
      expect(failed.detail).toBe("ECONNRESET");
      for (const line of logLines.filter((l) => l.includes(requestId))) expect(line).not.toContain("verbose");
    });
  }
}

describe("a connection lost after the first chunk", () => {
  const CREDENTIALS = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
  const cases: { type: string; start: () => Promise<FakeUpstream>; provider: (url: string) => Record<string, unknown> }[] = [
    {
      type: "openai",
      start: () => startOpenAIFake({ answer: () => ({ text: ["Half an ans", "wer"], resetAfterContent: true }) }),
      provider: (url) => ({ type: "openai", apiKey: "k", baseUrl: `${url}/v1` }),
    },
    {
      type: "anthropic",
      start: () =>
        startAnthropicFake({ answer: () => ({ blocks: [{ type: "text", pieces: ["Half an ans", "wer"] }], resetAfterContent: true }) }),
      provider: (url) => ({ type: "anthropic", apiKey: "k", baseUrl: url }),
    },
    {
      type: "mistral",
      start: () => startMistralFake({ answer: () => ({ text: ["Half an ans", "wer"], resetAfterContent: true }) }),
      provider: (url) => ({ type: "mistral", apiKey: "k", baseUrl: url }),
    },
    {
      type: "ollama",
      start: () => startOllamaFake({ answer: () => ({ text: ["Half an ans", "wer"], resetAfterContent: true }) }),
      provider: (url) => ({ type: "ollama", baseUrl: url }),
    },
    {
      type: "anthropic_bedrock",
      start: () =>
        startBedrockFake({
          region: "us-east-1",
          credentials: CREDENTIALS,
          answer: () => ({ blocks: [{ type: "text", pieces: ["Half an ans", "wer"] }], resetAfterContent: true }),
        }),
      provider: (url) => ({ type: "anthropic_bedrock", region: "us-east-1", endpoint: url, ...CREDENTIALS }),
    },
  ];
  for (const { type, start, provider } of cases) {
    test(`${type}: the error line says "connection to ${type} lost: the upstream closed the connection"`, async () => {
      const fake = await start();
      const harness = await startService({ mapping: singleTargetMapping({ ...provider(fake.url), maxRetries: 0 }, "some-model") });
      try {
        const lines = await readNdjson(await harness.post({ model: "m", messages: user, stream: true }));
        expect(streamedText(lines)).toBe("Half an answer");
        expect(lines.find((l) => l.type === "error")).toEqual({
          type: "error",
          code: "upstream_error",
          message: `connection to ${type} lost: the upstream closed the connection`,
        });
      } finally {
        await harness.stop();
        await fake.close();
      }
    });
  }
});
