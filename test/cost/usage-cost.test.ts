/**
 * The `cost` on every usage event, priced from the mapping, against figures worked out by hand for
 * each provider's usage shape: cached input (OpenAI, Anthropic, Gemini), reasoning (OpenAI
 * o-series, Gemini thoughts), and plain counts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { costOfUsage } from "../../src/cost/cost-of-usage";
import { startAnthropicFake, type AnthropicFake } from "../fakes/anthropic/anthropic-fake";
import { startGoogleFake } from "../fakes/google/google-fake";
import { startOpenAIFake } from "../fakes/openai/openai-fake";
import { startService, type Harness } from "../support/service-harness";

const user = [{ role: "user", content: "What does it cost?" }];

describe("cost arithmetic", () => {
  test("cached input is charged at its own price and not again as input", () => {
    const cost = costOfUsage(
      { inputTokens: 25, outputTokens: 8, cachedInputTokens: 5, reasoningTokens: 2 },
      { inputPerMillion: 2.5, cachedInputPerMillion: 1.25, outputPerMillion: 10 },
    );
    // 20 × 2.5e-6 = 0.00005; 5 × 1.25e-6 = 0.00000625; 8 × 10e-6 = 0.00008 (reasoning at the output price).
    expect(cost).toEqual({ input: 0.00005, cachedInput: 0.00000625, output: 0.00008, total: 0.00013625, currency: "USD" });
  });

  test("the cached price defaults to the input price, the reasoning price to the output price", () => {
    const cost = costOfUsage(
      { inputTokens: 1000, outputTokens: 500, cachedInputTokens: 400, reasoningTokens: 300 },
      { inputPerMillion: 3, outputPerMillion: 15 },
    );
    // 600 × 3e-6 = 0.0018; 400 × 3e-6 = 0.0012; 500 × 15e-6 = 0.0075.
    expect(cost).toEqual({ input: 0.0018, cachedInput: 0.0012, output: 0.0075, total: 0.0105, currency: "USD" });
  });

  test("decimal prices give exact decimal figures, with no binary drift", () => {
    // 1,234,567 × 0.15 / 1e6 = 0.18518505; 3 × 0.1 + 3 × 0.2 per million would drift in doubles.
    const a = costOfUsage({ inputTokens: 1_234_567, outputTokens: 3 }, { inputPerMillion: 0.15, outputPerMillion: 0.1 });
    expect(a).toEqual({ input: 0.18518505, cachedInput: 0, output: 0.0000003, total: 0.18518535, currency: "USD" });
    const b = costOfUsage({ inputTokens: 3, outputTokens: 3 }, { inputPerMillion: 0.1, outputPerMillion: 0.2, currency: "EUR" });
    expect(b).toEqual({ input: 0.0000003, cachedInput: 0, output: 0.0000006, total: 0.0000009, currency: "EUR" });
  });

  test("rounded to 1e-9 of the currency, half up", () => {
    // 1 token at 0.0015 per million = 1.5e-9 → 2e-9; at 0.0014 → 1e-9.
    expect(costOfUsage({ inputTokens: 1, outputTokens: 1 }, { inputPerMillion: 0.0015, outputPerMillion: 0.0014 })).toEqual({
      input: 0.000000002,
      cachedInput: 0,
      output: 0.000000001,
      total: 0.000000003,
      currency: "USD",
    });
  });

  test("large counts at high prices stay exact (beyond 2^53 in the intermediate product)", () => {
    // 50,000,000 × 999.999999 / 1e6 = 49,999.99995
    expect(costOfUsage({ inputTokens: 50_000_000, outputTokens: 0 }, { inputPerMillion: 999.999999, outputPerMillion: 1 })!.total).toBe(
      49_999.99995,
    );
  });

  test("no price, no cost", () => {
    expect(costOfUsage({ inputTokens: 10, outputTokens: 10 }, null)).toBeNull();
  });
});

describe("cost on the usage event, per provider", () => {
  let openai: Awaited<ReturnType<typeof startOpenAIFake>>;
  let anthropic: AnthropicFake;
  let google: Awaited<ReturnType<typeof startGoogleFake>>;
  let svc: Harness;

  beforeAll(async () => {
    openai = await startOpenAIFake({ apiKey: "sk-test" });
    anthropic = await startAnthropicFake({ apiKey: "sk-ant-test" });
    google = await startGoogleFake({ apiKey: "g-test" });
    svc = await startService({
      mapping: {
        providers: {
          oa: { type: "openai", apiKey: "sk-test", baseUrl: `${openai.url}/v1`, maxRetries: 0 },
          an: { type: "anthropic", apiKey: "sk-ant-test", baseUrl: anthropic.url, maxRetries: 0 },
          go: { type: "google", apiKey: "g-test", baseUrl: google.url, maxRetries: 0 },
          mk: { type: "mock", text: "one two three" },
        },
        models: {
          "gpt-4o": {
            targets: [{ provider: "oa", deploymentName: "gpt-4o-2024-08-06" }],
            pricing: { currency: "USD", inputPerMillion: 2.5, cachedInputPerMillion: 1.25, outputPerMillion: 10 },
          },
          o3: {
            targets: [{ provider: "oa", deploymentName: "o3" }],
            pricing: { inputPerMillion: 2, cachedInputPerMillion: 0.5, outputPerMillion: 8 },
          },
          claude: {
            targets: [{ provider: "an", deploymentName: "claude-sonnet-4-5-20250929" }],
            pricing: { inputPerMillion: 3, cachedInputPerMillion: 0.3, outputPerMillion: 15 },
          },
          gemini: {
            targets: [{ provider: "go", deploymentName: "gemini-2.5-flash" }],
            pricing: { inputPerMillion: 0.3, cachedInputPerMillion: 0.075, outputPerMillion: 2.5, reasoningPerMillion: 3.5 },
          },
          plain: {
            // The target's prices replace the model's.
            targets: [{ provider: "mk", deploymentName: "mock", pricing: { currency: "EUR", inputPerMillion: 1, outputPerMillion: 2 } }],
            pricing: { inputPerMillion: 100, outputPerMillion: 100 },
          },
          free: { targets: [{ provider: "mk", deploymentName: "mock" }] },
        },
      },
    });
  });

  afterAll(async () => {
    await svc.stop();
    await Promise.all([openai.close(), anthropic.close(), google.close()]);
  });

  async function costOf(body: Record<string, unknown>) {
    const res = await svc.post({ messages: user, ...body });
    expect(res.status).toBe(200);
    await res.text();
    return waitForEvent(res.headers.get("x-request-id")!);
  }

  async function waitForEvent(id: string) {
    for (let i = 0; i < 200; i++) {
      const e = svc.sink.events.find((x) => x.requestId === id);
      if (e) return e;
      await Bun.sleep(10);
    }
    throw new Error(`no usage event for ${id}`);
  }

  test("OpenAI, cached prompt: 20 input, 5 cached, 8 output", async () => {
    openai.answer(() => ({ text: ["Hi"], usage: { prompt_tokens: 25, completion_tokens: 8, cached: 5 } }));
    const event = await costOf({ model: "gpt-4o", stream: true });
    expect(event.cost).toEqual({ input: 0.00005, cachedInput: 0.00000625, output: 0.00008, total: 0.00013625, currency: "USD" });
  });

  test("OpenAI o-series, reasoning inside the output count: priced as output", async () => {
    openai.answer(() => ({ text: ["42"], usage: { prompt_tokens: 1000, completion_tokens: 700, cached: 200, reasoning: 640 } }));
    const event = await costOf({ model: "o3" });
    // 800 × 2e-6 = 0.0016; 200 × 0.5e-6 = 0.0001; 700 × 8e-6 = 0.0056.
    expect(event.reasoningTokens).toBe(640);
    expect(event.cost).toEqual({ input: 0.0016, cachedInput: 0.0001, output: 0.0056, total: 0.0073, currency: "USD" });
  });

  test("Anthropic, cache read and cache write: the write is charged as input", async () => {
    anthropic.answer(() => ({
      blocks: [{ type: "text", pieces: ["Hi"] }],
      usage: { input: 100, output: 50, cacheRead: 1000, cacheCreation: 200 },
    }));
    const event = await costOf({ model: "claude", stream: true });
    // inputTokens 1300 of which 1000 cached: 300 × 3e-6 = 0.0009; 1000 × 0.3e-6 = 0.0003; 50 × 15e-6 = 0.00075.
    expect(event.inputTokens).toBe(1300);
    expect(event.cost).toEqual({ input: 0.0009, cachedInput: 0.0003, output: 0.00075, total: 0.00195, currency: "USD" });
  });

  test("Gemini, thoughts at the reasoning price and cached content at the cached price", async () => {
    google.answer(() => ({ text: ["Hi"], usage: { prompt: 1000, candidates: 200, thoughts: 300, cached: 400 } }));
    const event = await costOf({ model: "gemini", stream: true });
    // 600 × 0.3e-6 = 0.00018; 400 × 0.075e-6 = 0.00003; 200 × 2.5e-6 + 300 × 3.5e-6 = 0.00155.
    expect(event.cost).toEqual({ input: 0.00018, cachedInput: 0.00003, output: 0.00155, total: 0.00176, currency: "USD" });
  });

  test("plain counts, at the target's own prices", async () => {
    const event = await costOf({ model: "plain" });
    const { inputTokens, outputTokens } = event;
    expect(inputTokens).toBeGreaterThan(0);
    expect(event.cost).toEqual({
      input: inputTokens / 1e6,
      cachedInput: 0,
      output: (outputTokens * 2) / 1e6,
      total: (inputTokens + outputTokens * 2) / 1e6,
      currency: "EUR",
    });
  });

  test("a model without prices: cost null", async () => {
    expect((await costOf({ model: "free" })).cost).toBeNull();
  });

  test("completion_cost_total counts it by model, provider, door and currency", async () => {
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    expect(text).toContain('completion_cost_total{model="gpt-4o",provider="openai",api="completions",currency="USD"} 0.00013625');
    expect(text).toMatch(/completion_cost_total\{model="plain",provider="mock",api="completions",currency="EUR"\} \d/);
    expect(text).not.toContain('completion_cost_total{model="free"');
  });
});
