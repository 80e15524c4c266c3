/**
 * The OpenAI-compatible family is sent with `fetch` and read by our SSE parser (the SDK cost 4×
 * per stream). Two things keep that honest, for every flavour of the family's fake:
 *
 * - the official `openai` SDK, configured as the provider would be, reads each fake answer
 *   (streams with every quirk, mid-stream errors, error statuses): the fakes speak the wire format
 *   the SDK knows, not one only our code can read;
 * - our transport reads the same answer into the very same chunks, and fails with the same error
 *   (class, status, message, body) where the SDK fails.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI, { AzureOpenAI } from "openai";
import type { ProviderConfig } from "../../src/config/mapping";
import { openAIStreamReads, postOpenAI } from "../../src/providers/openai-compatible/openai-compatible-adapter";
import { azureEndpoint } from "../../src/providers/azure/azure-endpoint";
import { baseUrlEndpoint, bearerAuth, type OpenAIApi, type OpenAIEndpoint } from "../../src/providers/openai-compatible/openai-endpoint";
import { jsonResponse } from "../fakes/fake-upstream";
import {
  QUIRKS,
  startCompatibleFake,
  type CompatibleFake,
  type Flavour,
  type OpenAIAnswer,
  type Quirks,
} from "../fakes/openai-compatible/compatible-fake";

const KEY = "test-key";
const DEPLOYMENT = "gpt4o-prod";
const API_VERSION = "2024-10-21";

interface Setup {
  quirks: Quirks;
  sdk(url: string): OpenAI;
  ours(url: string): OpenAIEndpoint;
}

const config = { type: "openai" } as ProviderConfig;
const noKey = { apiKey: "unused", defaultHeaders: { Authorization: null } };
// The malformed-chunk case is meant to fail: the SDK's own console lines about it are noise.
const QUIET = { logLevel: "off" as const };
const SETUPS: Record<Flavour, Setup> = {
  openai: {
    quirks: QUIRKS.openai({ apiKey: KEY }),
    sdk: (url) => new OpenAI({ apiKey: KEY, baseURL: `${url}/v1`, maxRetries: 0, ...QUIET }),
    ours: (url) => baseUrlEndpoint(`${url}/v1`, config, bearerAuth(KEY)),
  },
  azure_openai: {
    quirks: QUIRKS.azure_openai({ deployment: DEPLOYMENT, apiKey: KEY }),
    sdk: (url) => new AzureOpenAI({ baseURL: `${url}/openai`, apiKey: KEY, apiVersion: API_VERSION, maxRetries: 0, ...QUIET }),
    ours: (url) => azureEndpoint(url, API_VERSION, config, KEY),
  },
  azure_openai_completions: {
    quirks: QUIRKS.azure_openai_completions({ deployment: DEPLOYMENT, apiKey: KEY }),
    sdk: (url) => new AzureOpenAI({ baseURL: `${url}/openai`, apiKey: KEY, apiVersion: API_VERSION, maxRetries: 0, ...QUIET }),
    ours: (url) => azureEndpoint(url, API_VERSION, config, KEY),
  },
  jamba: {
    quirks: QUIRKS.jamba({ apiKey: KEY }),
    sdk: (url) => new OpenAI({ apiKey: KEY, baseURL: `${url}/studio/v1`, maxRetries: 0, ...QUIET }),
    ours: (url) => baseUrlEndpoint(`${url}/studio/v1`, config, bearerAuth(KEY)),
  },
  vllm: {
    quirks: QUIRKS.vllm(),
    sdk: (url) => new OpenAI({ baseURL: `${url}/v1`, maxRetries: 0, ...noKey, ...QUIET }),
    ours: (url) => baseUrlEndpoint(`${url}/v1`, config, bearerAuth(undefined)),
  },
  remote_completion: {
    quirks: QUIRKS.remote_completion(),
    sdk: (url) => new OpenAI({ baseURL: `${url}/api/openai/v1`, maxRetries: 0, ...noKey, ...QUIET }),
    ours: (url) => baseUrlEndpoint(`${url}/api/openai/v1`, config, bearerAuth(undefined)),
  },
};

const text: OpenAIAnswer = { text: ["Hello", " wörld 🌍", "\n\nbye"], usage: { prompt_tokens: 9, completion_tokens: 5 } };
const ANSWERS: Record<string, OpenAIAnswer> = {
  text,
  "tool calls": {
    toolCalls: [
      { id: "call_a", name: "get_weather", argumentPieces: ['{"city":', '"Paris"}'] },
      { id: "call_b", name: "get_time", argumentPieces: ['{"tz":"CET"}'] },
    ],
    usage: { prompt_tokens: 20, completion_tokens: 12 },
  },
  reasoning: { reasoning: ["Let me", " think."], text: ["42"], usage: { prompt_tokens: 5, completion_tokens: 9, reasoning: 6 } },
  "mid-stream error": { text: ["partial"], midStreamError: { message: "The server had an error while processing your request." } },
  "flat mid-stream error": { text: ["partial"], midStreamError: { message: "engine died", flat: true } },
  "malformed chunk": { text: ["a", "b"], malformedChunk: "{not json" },
  "no [DONE]": { text: ["no", " done"], usage: { prompt_tokens: 1, completion_tokens: 2 }, omitDone: true },
};

interface Outcome {
  chunks: unknown[];
  error: null | { name: string; status?: number; message?: string; error?: unknown };
}

function describeError(e: unknown): Outcome["error"] {
  if (e instanceof OpenAI.APIError) return { name: e.constructor.name, status: e.status, message: e.message, error: e.error };
  // A malformed chunk: both throw a SyntaxError, in their own words.
  if (e instanceof SyntaxError) return { name: "SyntaxError" };
  return { name: e instanceof Error ? e.constructor.name : typeof e, message: String(e) };
}

function bodyFor(api: OpenAIApi, stream: boolean): Record<string, unknown> {
  const common = { model: DEPLOYMENT, stream, ...(stream && { stream_options: { include_usage: true } }) };
  return api === "chat" ? { ...common, messages: [{ role: "user", content: "hi" }] } : { ...common, prompt: "User: hi\n\nAssistant:" };
}

async function viaSdk(client: OpenAI, api: OpenAIApi, stream: boolean): Promise<Outcome> {
  const chunks: unknown[] = [];
  try {
    const create =
      api === "chat" ? client.chat.completions.create.bind(client.chat.completions) : client.completions.create.bind(client.completions);
    const result = await (create as (body: unknown) => Promise<unknown>)(bodyFor(api, stream));
    if (stream) for await (const chunk of result as AsyncIterable<unknown>) chunks.push(chunk);
    else chunks.push(result);
    return { chunks, error: null };
  } catch (e) {
    return { chunks, error: describeError(e) };
  }
}

async function viaOurs(endpoint: OpenAIEndpoint, api: OpenAIApi, stream: boolean): Promise<Outcome> {
  const chunks: unknown[] = [];
  const signal = new AbortController().signal;
  try {
    const response = await postOpenAI(endpoint, endpoint.url(api, DEPLOYMENT), bodyFor(api, stream), signal);
    if (stream) for await (const batch of openAIStreamReads(response, signal)) chunks.push(...batch);
    else chunks.push(await response.json());
    return { chunks, error: null };
  } catch (e) {
    return { chunks, error: describeError(e) };
  }
}

for (const [flavour, setup] of Object.entries(SETUPS) as [Flavour, Setup][]) {
  describe(`${flavour} fake, read by the openai SDK and by our transport`, () => {
    let fake: CompatibleFake;
    let sdk: OpenAI;
    let ours: OpenAIEndpoint;
    const api = setup.quirks.api;
    beforeAll(async () => {
      fake = await startCompatibleFake(setup.quirks);
      sdk = setup.sdk(fake.url);
      ours = setup.ours(fake.url);
    });
    afterAll(() => fake.close());

    for (const [name, answer] of Object.entries(ANSWERS)) {
      test(`stream: ${name}`, async () => {
        fake.answer(() => answer);
        const bySdk = await viaSdk(sdk, api, true);
        const byUs = await viaOurs(ours, api, true);
        // The SDK understood the fake: the content arrived, and only the scripted failures failed.
        expect(bySdk.chunks.length).toBeGreaterThan(0);
        if (answer.midStreamError && !answer.midStreamError.flat) expect(bySdk.error?.name).toBe("APIError");
        else if (answer.malformedChunk) expect(bySdk.error?.name).toBe("SyntaxError");
        else expect(bySdk.error).toBeNull();
        expect(byUs).toEqual(bySdk);
      });
    }

    test("JSON answer", async () => {
      fake.answer(() => text);
      const bySdk = await viaSdk(sdk, api, false);
      expect(bySdk.error).toBeNull();
      expect(await viaOurs(ours, api, false)).toEqual(bySdk);
    });

    for (const status of [400, 401, 404, 429, 500, 503]) {
      test(`HTTP ${status}, the provider's error body`, async () => {
        fake.answer(() =>
          jsonResponse(status, setup.quirks.errorBody(status, `failed with ${status}`, "some_error", "some_code"), { "retry-after": "3" }),
        );
        const bySdk = await viaSdk(sdk, api, true);
        expect(bySdk.error?.status).toBe(status);
        expect(await viaOurs(ours, api, true)).toEqual(bySdk);
      });
    }

    test("HTTP 502 with a plain-text body", async () => {
      fake.answer(() => ({ status: 502, headers: { "content-type": "text/html" }, body: "<html>Bad Gateway</html>" }));
      const bySdk = await viaSdk(sdk, api, false);
      expect(bySdk.error?.message).toContain("Bad Gateway");
      expect(await viaOurs(ours, api, false)).toEqual(bySdk);
    });

    test("the request each sends is the same (path, query, auth, body)", async () => {
      fake.answer(() => text);
      await viaSdk(sdk, api, true);
      await viaOurs(ours, api, true);
      const [a, b] = fake.requests.slice(-2);
      expect(b!.url).toBe(a!.url);
      expect(b!.body).toEqual(a!.body);
      for (const header of ["authorization", "api-key", "content-type"])
        expect([header, b!.headers[header]]).toEqual([header, a!.headers[header]]);
    });
  });
}
