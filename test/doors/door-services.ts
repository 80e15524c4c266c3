/**
 * The service in front of three provider families at once (OpenAI, Anthropic, Gemini fakes), for
 * the front-door tests: `gpt`, `claude` and `gemini` are the models, each served by its fake.
 */
import { afterAll, beforeAll, beforeEach } from "bun:test";
import { flushAfterResponse } from "../../src/completion/after-response";
import { startAnthropicFake, type AnthropicFake } from "../fakes/anthropic/anthropic-fake";
import type { FakeUpstream } from "../fakes/fake-upstream";
import { startGoogleFake } from "../fakes/google/google-fake";
import { startOpenAIFake } from "../fakes/openai/openai-fake";
import { startService, type Harness } from "../support/service-harness";

export interface DoorFakes {
  svc: Harness;
  openai: Awaited<ReturnType<typeof startOpenAIFake>>;
  anthropic: AnthropicFake;
  google: Awaited<ReturnType<typeof startGoogleFake>>;
}

export const OPENAI_DEPLOYMENT = "gpt-4o-mini";
export const ANTHROPIC_DEPLOYMENT = "claude-sonnet-4-5-20250929";
export const GEMINI_DEPLOYMENT = "gemini-2.5-flash";

/** Starts the fakes and the service before the file's tests, stops them after, forgets what they recorded before each test. */
export function serviceOverThreeFamilies(): () => DoorFakes {
  let running: DoorFakes;
  beforeAll(async () => {
    const openai = await startOpenAIFake({ apiKey: "sk-openai" });
    const anthropic = await startAnthropicFake({ apiKey: "sk-ant" });
    const google = await startGoogleFake({ apiKey: "g-key" });
    const svc = await startService({
      mapping: {
        providers: {
          o: { type: "openai", apiKey: "sk-openai", baseUrl: `${openai.url}/v1`, maxRetries: 0 },
          a: { type: "anthropic", apiKey: "sk-ant", baseUrl: anthropic.url, maxRetries: 0 },
          g: { type: "google", apiKey: "g-key", baseUrl: google.url, maxRetries: 0 },
        },
        models: {
          gpt: { strategy: "fallback", targets: [{ provider: "o", deploymentName: OPENAI_DEPLOYMENT }] },
          claude: { strategy: "fallback", targets: [{ provider: "a", deploymentName: ANTHROPIC_DEPLOYMENT }] },
          gemini: { strategy: "fallback", targets: [{ provider: "g", deploymentName: GEMINI_DEPLOYMENT }] },
        },
      },
    });
    running = { svc, openai, anthropic, google };
  });
  afterAll(async () => {
    await running.svc.stop();
    await Promise.all([running.openai.close(), running.anthropic.close(), running.google.close()]);
  });
  beforeEach(() => {
    flushAfterResponse();
    for (const fake of [running.openai, running.anthropic, running.google] as FakeUpstream[]) fake.requests.length = 0;
    running.svc.sink.events.length = 0;
  });
  return () => running;
}
