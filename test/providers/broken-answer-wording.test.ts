/**
 * An upstream whose answer is not what its API promises — a 200 whose body is not JSON — is a
 * `502 upstream_error` that says the answer failed. A JSON request's error never speaks of a
 * stream, and names the provider type.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Server } from "bun";
import { providersAt } from "../support/provider-at";
import { singleTargetMapping, startService, type Harness } from "../support/service-harness";

let garbage: Server<unknown>;
const services: Harness[] = [];
const user = [{ role: "user", content: "Hi" }];

const PROVIDERS = providersAt(["openai", "vllm", "ollama", "anthropic", "google"], { maxRetries: 0 });

beforeAll(() => {
  // Every path answers 200 with a JSON content type and a body that is not JSON.
  garbage = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => new Response("{not json", { headers: { "content-type": "application/json" } }),
  });
});

afterAll(async () => {
  for (const s of services) await s.stop();
  garbage.stop(true);
});

for (const [type, provider] of Object.entries(PROVIDERS)) {
  test(`${type}: a JSON answer that is not JSON is a 502 naming the provider, with no word of a stream`, async () => {
    const svc = await startService({ mapping: singleTargetMapping(provider(`http://127.0.0.1:${garbage.port}`)) });
    services.push(svc);
    const res = await svc.post({ model: "m", messages: user });
    expect(res.status).toBe(502);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe("upstream_error");
    expect(body.message).toStartWith(type);
    expect(body.message).not.toContain("stream");
  });
}
