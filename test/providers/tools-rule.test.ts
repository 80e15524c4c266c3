/**
 * The tools rule, through every provider type against fakes that refuse what the real APIs
 * refuse: an empty `tools` is no tools and a tool choice is never sent without tools, so the
 * request callers copy from the docs (`"tools": [], "toolChoice": "auto"`) is answered everywhere;
 * a choice no upstream can honour without tools is our 400, before anything is sent.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { flushAfterResponse } from "../../src/completion/after-response";
import { startAnthropicFake } from "../fakes/anthropic/anthropic-fake";
import { startBedrockFake } from "../fakes/bedrock/bedrock-fake";
import type { FakeUpstream } from "../fakes/fake-upstream";
import { startGoogleFake } from "../fakes/google/google-fake";
import { startMistralFake } from "../fakes/mistral/mistral-fake";
import { startOllamaFake } from "../fakes/ollama/ollama-fake";
import { QUIRKS, startCompatibleFake } from "../fakes/openai-compatible/compatible-fake";
import { startOpenAIFake } from "../fakes/openai/openai-fake";
import { grammarViolations, readNdjson, streamedText } from "../support/ndjson";
import { startService, type Harness } from "../support/service-harness";

const REGION = "eu-west-1";
const AWS = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
const user = [{ role: "user", content: "Hello?" }];

interface Target {
  fake: FakeUpstream;
  provider: Record<string, unknown>;
  deploymentName: string;
}

/** One fake per provider type, each with the provider entry that reaches it. */
const TARGETS: Record<string, () => Promise<Target>> = {
  openai: async () => {
    const fake = await startOpenAIFake({ apiKey: "sk-test" });
    return { fake, provider: { type: "openai", apiKey: "sk-test", baseUrl: `${fake.url}/v1` }, deploymentName: "gpt-4o" };
  },
  azure_openai: async () => {
    const fake = await startCompatibleFake(QUIRKS.azure_openai({ deployment: "gpt4o-prod", apiKey: "az-key" }));
    return { fake, provider: { type: "azure_openai", endpoint: fake.url, apiKey: "az-key" }, deploymentName: "gpt4o-prod" };
  },
  azure_openai_completions: async () => {
    const fake = await startCompatibleFake(QUIRKS.azure_openai_completions({ deployment: "instruct", apiKey: "az-key" }));
    return { fake, provider: { type: "azure_openai_completions", endpoint: fake.url, apiKey: "az-key" }, deploymentName: "instruct" };
  },
  anthropic: async () => {
    const fake = await startAnthropicFake({ apiKey: "sk-ant" });
    return { fake, provider: { type: "anthropic", apiKey: "sk-ant", baseUrl: fake.url }, deploymentName: "claude-sonnet-4-5" };
  },
  anthropic_bedrock: async () => {
    const fake = await startBedrockFake({ region: REGION, credentials: AWS });
    return {
      fake,
      provider: { type: "anthropic_bedrock", region: REGION, endpoint: fake.url, ...AWS },
      deploymentName: "anthropic.claude-sonnet-4-5-20250929-v1:0",
    };
  },
  google: async () => {
    const fake = await startGoogleFake({ apiKey: "g-key" });
    return { fake, provider: { type: "google", apiKey: "g-key", baseUrl: fake.url, maxRetries: 0 }, deploymentName: "gemini-2.5-flash" };
  },
  mistral: async () => {
    const fake = await startMistralFake({ apiKey: "mk" });
    return { fake, provider: { type: "mistral", apiKey: "mk", baseUrl: fake.url, maxRetries: 0 }, deploymentName: "mistral-small-latest" };
  },
  jamba: async () => {
    const fake = await startCompatibleFake(QUIRKS.jamba({ apiKey: "ai21" }));
    return { fake, provider: { type: "jamba", baseUrl: `${fake.url}/studio/v1`, apiKey: "ai21" }, deploymentName: "jamba-large" };
  },
  ollama: async () => {
    const fake = await startOllamaFake({ models: ["llama3.2"] });
    return { fake, provider: { type: "ollama", baseUrl: `${fake.url}/` }, deploymentName: "llama3.2" };
  },
  vllm: async () => {
    const fake = await startCompatibleFake(QUIRKS.vllm());
    return { fake, provider: { type: "vllm", baseUrl: `${fake.url}/v1` }, deploymentName: "meta-llama/Llama-3.1-8B-Instruct" };
  },
  remote_completion: async () => {
    const fake = await startCompatibleFake(QUIRKS.remote_completion());
    return { fake, provider: { type: "remote_completion", baseUrl: `${fake.url}/api/openai/v1` }, deploymentName: "qwen2.5-72b-instruct" };
  },
};
const TYPES = Object.keys(TARGETS);

const fakes: Record<string, FakeUpstream> = {};
let svc: Harness;

beforeAll(async () => {
  const providers: Record<string, unknown> = {};
  const models: Record<string, unknown> = {};
  for (const type of TYPES) {
    const target = await TARGETS[type]!();
    fakes[type] = target.fake;
    providers[type] = target.provider;
    models[type] = { strategy: "fallback", targets: [{ provider: type, deploymentName: target.deploymentName }] };
  }
  svc = await startService({ mapping: { providers, models } });
});

afterAll(async () => {
  await svc.stop();
  await Promise.all(Object.values(fakes).map((f) => f.close()));
});

beforeEach(() => {
  flushAfterResponse();
  for (const f of Object.values(fakes)) f.requests.length = 0;
  svc.sink.events.length = 0;
});

describe("tools: [] with toolChoice auto is answered by every provider", () => {
  for (const type of TYPES) {
    test(`${type}, not streamed`, async () => {
      const res = await svc.post({ model: type, messages: user, tools: [], toolChoice: "auto" });
      const body: any = await res.json();
      expect({ status: res.status, body }).toMatchObject({ status: 200, body: { finishReason: "stop" } });
      expect(body.outputText).toStartWith("Hello from");
      const sent = fakes[type]!.requests[0]!.rawBody;
      expect(sent).not.toMatch(/"tool_?[cC](hoice|onfig)"|"tools"/);
      // The usage event records what the client asked, not what was sent.
      await Bun.sleep(0);
      flushAfterResponse();
      expect(svc.sink.events[0]).toMatchObject({ toolChoice: "auto", toolsCount: 0 });
    });

    test(`${type}, streamed`, async () => {
      const res = await svc.post({ model: type, messages: user, stream: true, tools: [], toolChoice: "auto" });
      expect(res.status).toBe(200);
      const lines = await readNdjson(res);
      expect(grammarViolations(lines)).toEqual([]);
      expect(streamedText(lines)).toStartWith("Hello from");
      expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "stop" });
    });
  }
});

describe("toolChoice none without tools is sent as no tools at all", () => {
  for (const type of TYPES) {
    test(type, async () => {
      const res = await svc.post({ model: type, messages: user, toolChoice: "none" });
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).outputText).toStartWith("Hello from");
      expect(fakes[type]!.requests[0]!.rawBody).not.toMatch(/"tool_?[cC](hoice|onfig)"|"tools"/);
    });
  }
});

describe("a tool choice no upstream can honour without tools is a 400 naming toolChoice", () => {
  for (const type of TYPES) {
    for (const [what, toolChoice] of [
      ["a named tool", { name: "x" }],
      ["required", "required"],
    ] as const) {
      test(`${type}: ${what}, streamed and not, tools [] or none`, async () => {
        for (const extra of [{ tools: [] }, {}, { stream: true }]) {
          const res = await svc.post({ model: type, messages: user, toolChoice, ...extra });
          const body: any = await res.json();
          expect({ status: res.status, code: body.code }).toEqual({ status: 400, code: "invalid_request" });
          expect(body.message).toStartWith("toolChoice");
        }
        expect(fakes[type]!.requests).toHaveLength(0);
      });
    }
  }
});

describe("a named tool choice must be one of the tools", () => {
  for (const type of TYPES.filter((t) => t !== "azure_openai_completions")) {
    test(type, async () => {
      const res = await svc.post({ model: type, messages: user, tools: [{ name: "get_weather" }], toolChoice: { name: "get_time" } });
      const body: any = await res.json();
      expect({ status: res.status, code: body.code }).toEqual({ status: 400, code: "invalid_request" });
      expect(body.message).toContain("toolChoice.name");
      expect(fakes[type]!.requests).toHaveLength(0);
    });
  }
});
