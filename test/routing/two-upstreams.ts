/**
 * Two fake OpenAI upstreams, `a` and `b`, as two targets of model `m` on the real service over
 * real HTTP. Each fake counts what it saw; each provider may carry its own routing settings.
 */
import { startOpenAIFake } from "../fakes/openai/openai-fake";
import { FAST_ROUTING, startService, type Harness } from "../support/service-harness";
import { flushAfterResponse } from "../../src/completion/after-response";
import type { RoutingOptions } from "../../src/routing/routing";

export type OpenAIFake = Awaited<ReturnType<typeof startOpenAIFake>>;

export interface TwoUpstreams {
  a: OpenAIFake;
  b: OpenAIFake;
  svc: Harness;
  close(): Promise<void>;
}

export interface TwoUpstreamsOptions {
  strategy?: "fallback" | "weighted";
  weights?: [number, number];
  /** Extra provider settings (timeouts, maxRetries) for each. */
  a?: Record<string, unknown>;
  b?: Record<string, unknown>;
  routing?: RoutingOptions;
}

export function twoUpstreamMapping(a: OpenAIFake, b: OpenAIFake, options: TwoUpstreamsOptions = {}) {
  const [wa, wb] = options.weights ?? [undefined, undefined];
  return {
    providers: {
      a: { type: "openai", apiKey: "k", baseUrl: `${a.url}/v1`, ...options.a },
      b: { type: "openai", apiKey: "k", baseUrl: `${b.url}/v1`, ...options.b },
    },
    models: {
      m: {
        strategy: options.strategy ?? "fallback",
        targets: [
          { provider: "a", deploymentName: "gpt-a", ...(wa !== undefined && { weight: wa }) },
          { provider: "b", deploymentName: "gpt-b", ...(wb !== undefined && { weight: wb }) },
        ],
      },
    },
  };
}

export async function startTwoUpstreams(options: TwoUpstreamsOptions = {}): Promise<TwoUpstreams> {
  const a = await startOpenAIFake();
  const b = await startOpenAIFake();
  a.answer(() => ({ text: ["from a"], usage: { prompt_tokens: 3, completion_tokens: 2 } }));
  b.answer(() => ({ text: ["from b"], usage: { prompt_tokens: 3, completion_tokens: 2 } }));
  const svc = await startService({ mapping: twoUpstreamMapping(a, b, options), routing: options.routing ?? FAST_ROUTING });
  return {
    a,
    b,
    svc,
    async close() {
      await svc.stop();
      await a.close();
      await b.close();
    },
  };
}

export const user = [{ role: "user", content: "Hi" }];

/** Forgets what the fakes saw and the events recorded, between tests. */
export function reset(u: TwoUpstreams): void {
  u.a.requests.length = 0;
  u.b.requests.length = 0;
  flushAfterResponse(); // usage events reach the sink a turn after their answers
  u.svc.sink.events.length = 0;
}
