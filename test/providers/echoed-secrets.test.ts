/**
 * An upstream that echoes the credentials it received — in an HTTP 400, or in an error event
 * inside a 200 stream — must not get them to the client, the logs or the usage event: every
 * secret of the provider (its key, every `headers` value) is replaced by `[REDACTED]`, as sent,
 * URL-encoded or base64'd.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startAnthropicFake, anthropicError, type AnthropicFake } from "../fakes/anthropic/anthropic-fake";
import { startGoogleFake, googleError } from "../fakes/google/google-fake";
import { openAIError, startOpenAIFake } from "../fakes/openai/openai-fake";
import type { FakeUpstream, RecordedRequest } from "../fakes/fake-upstream";
import { startService, type Harness } from "../support/service-harness";
import { createLogger } from "../../src/observability/logger";

const KEY = "sk-live-3f9a1c7e2b8d4f60a5e1c9b7d3f2a8e4+/=";
const HEADER_SECRET = "hdr-secret-7c1e9a4b2d8f";
const SECRETS = [KEY, HEADER_SECRET, encodeURIComponent(KEY), Buffer.from(KEY).toString("base64").replace(/=+$/, "")];
const user = [{ role: "user", content: "Hi" }];

/** What a careless upstream says back: every credential it got, raw and encoded. */
function echo(request: RecordedRequest, keyHeader: string): string {
  const sent = request.headers[keyHeader]!;
  const key = sent.replace(/^Bearer /, "");
  return (
    `Authorization was: ${sent}; x-secret-hdr=${request.headers["x-secret-hdr"]}; ` +
    `url=https://x.example/?key=${encodeURIComponent(key)}; basic=${Buffer.from(key).toString("base64")}`
  );
}

let openai: FakeUpstream & { answer(fn: any): void };
let anthropic: AnthropicFake;
let google: FakeUpstream & { answer(fn: any): void };
let svc: Harness;
const logLines: string[] = [];

beforeAll(async () => {
  openai = await startOpenAIFake();
  anthropic = await startAnthropicFake();
  google = await startGoogleFake();
  const headers = { "x-secret-hdr": HEADER_SECRET };
  const provider = { apiKey: "${KEY}", headers, maxRetries: 0 };
  svc = await startService({
    mapping: {
      providers: {
        o: { type: "openai", baseUrl: `${openai.url}/v1`, ...provider },
        a: { type: "anthropic", baseUrl: anthropic.url, ...provider },
        g: { type: "google", baseUrl: google.url, ...provider },
      },
      models: {
        openai: { targets: [{ provider: "o", deploymentName: "gpt-4o" }] },
        anthropic: { targets: [{ provider: "a", deploymentName: "claude-sonnet-4-5-20250929" }] },
        google: { targets: [{ provider: "g", deploymentName: "gemini-2.5-flash" }] },
      },
    },
    env: { KEY },
    logger: createLogger("debug", {}, (line) => logLines.push(line)),
  });
});
afterAll(async () => {
  await svc.stop();
  await Promise.all([openai.close(), anthropic.close(), google.close()]);
});

function expectNoSecret(text: string): void {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

/** The answer's text, the request's usage event and every log line of the request: no secret in any. */
async function expectRedacted(res: Response): Promise<string> {
  const requestId = res.headers.get("x-request-id")!;
  const body = await res.text();
  expectNoSecret(body);
  expect(body).toContain("[REDACTED]");
  const event = await svc.sink.eventFor(requestId);
  expectNoSecret(JSON.stringify(event));
  expect(event.error!.message).toContain("[REDACTED]");
  const lines = logLines.filter((l) => l.includes(requestId));
  expect(lines.some((l) => l.includes("[REDACTED]"))).toBe(true);
  for (const line of lines) expectNoSecret(line);
  return body;
}

const cases: {
  model: string;
  refuse: (r: RecordedRequest) => unknown;
  failMidStream: (r: RecordedRequest) => unknown;
  fake: () => { answer(fn: any): void };
}[] = [
  {
    model: "openai",
    refuse: (r: RecordedRequest) => openAIError(400, echo(r, "authorization"), "invalid_request_error"),
    failMidStream: (r: RecordedRequest) => ({
      text: ["Hello"],
      midStreamError: { message: echo(r, "authorization"), type: "server_error" },
    }),
    fake: () => openai,
  },
  {
    model: "anthropic",
    refuse: (r: RecordedRequest) => anthropicError(400, "invalid_request_error", echo(r, "x-api-key")),
    failMidStream: (r: RecordedRequest) => ({
      blocks: [{ type: "text" as const, pieces: ["Hello"] }],
      midStreamError: { type: "api_error", message: echo(r, "x-api-key") },
    }),
    fake: () => anthropic,
  },
  {
    model: "google",
    refuse: (r: RecordedRequest) => googleError(400, "INVALID_ARGUMENT", echo(r, "x-goog-api-key")),
    failMidStream: (r: RecordedRequest) => ({
      text: ["Hello"],
      midStreamError: { code: 500, message: echo(r, "x-goog-api-key"), status: "INTERNAL" },
    }),
    fake: () => google,
  },
];

for (const { model, refuse, failMidStream, fake } of cases) {
  describe(`${model}: an upstream echoing our credentials`, () => {
    for (const stream of [false, true]) {
      test(`in a 400 (stream: ${stream}): the client, the usage event and the logs get [REDACTED]`, async () => {
        fake().answer(refuse);
        const res = await svc.post({ model, messages: user, stream });
        expect(res.status).toBe(400);
        const body = JSON.parse(await expectRedacted(res));
        expect(body.code).toBe("upstream_invalid_request");
        expect(body.message).toContain("Authorization was:");
      });
    }

    test("in an error event mid-stream: the error line, the usage event and the logs get [REDACTED]", async () => {
      fake().answer(failMidStream);
      const res = await svc.post({ model, messages: user, stream: true });
      expect(res.status).toBe(200);
      const text = await expectRedacted(res);
      const lines = text
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(lines.find((l) => l.type === "error")?.message).toContain("Authorization was:");
    });
  });
}

test("the credentials really were echoed: the fakes got them", () => {
  expect(openai.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
  expect(anthropic.requests.at(-1)!.headers["x-api-key"]).toBe(KEY);
  expect(google.requests.at(-1)!.headers["x-goog-api-key"]).toBe(KEY);
});
