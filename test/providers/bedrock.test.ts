/**
 * The `anthropic_bedrock` provider through the real AWS SDK client (SigV4, event-stream decoding),
 * against a fake Bedrock runtime that verifies every signature and speaks real event-stream frames.
 */
import { beforeEach, describe, expect, test } from "bun:test";
import { crc32 } from "node:zlib";
import {
  bedrockError,
  bedrockStreamResponse,
  chunkFrame,
  startBedrockFake,
  type BedrockExceptionType,
  type BedrockFake,
} from "../fakes/bedrock/bedrock-fake";
import type { RecordedRequest } from "../fakes/fake-upstream";
import { answeringTextPieces } from "../fakes/anthropic/text-pieces";
import { grammarViolations, readNdjson, streamedText } from "../support/ndjson";
import {
  answersFromUnreachable,
  cancelMidStream,
  clientDisconnectTests,
  closedWithin,
  expectStreamFailed,
  expectUpstreamError,
  serviceAgainstFake,
  UNREACHABLE_URL,
  withService,
} from "../support/provider-scenarios";
import { singleTargetMapping, startService, type Harness } from "../support/service-harness";

const REGION = "eu-west-1";
const CREDENTIALS = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
const MODEL = "claude";
/** A cross-region inference profile: its `:` must be encoded in the path, and again when signed. */
const MODEL_ID = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0";
const user = [{ role: "user", content: "What is the weather in Paris?" }];
const weatherTools = [
  { name: "get_weather", description: "Weather for a city", parameters: { type: "object", properties: { city: { type: "string" } } } },
  { name: "get_time" },
];

let fake: BedrockFake;
let svc: Harness;

function bedrockMapping(extra: Record<string, unknown> = {}, credentials: Record<string, string> = CREDENTIALS) {
  return singleTargetMapping({ type: "anthropic_bedrock", region: REGION, endpoint: fake.url, ...credentials, ...extra }, MODEL_ID, MODEL);
}

serviceAgainstFake(async () => {
  fake = await startBedrockFake({ region: REGION, credentials: CREDENTIALS });
  svc = await startService({
    mapping: singleTargetMapping(
      { type: "anthropic_bedrock", region: REGION, endpoint: fake.url, accessKeyId: "${AWS_KEY_ID}", secretAccessKey: "${AWS_SECRET}" },
      MODEL_ID,
      MODEL,
    ),
    env: { AWS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET: CREDENTIALS.secretAccessKey },
  });
  return { svc, fake };
});
beforeEach(() => {
  fake.signatures.length = 0;
  fake.modelIds.length = 0;
});

describe("anthropic_bedrock: transport and auth", () => {
  test("streams through InvokeModelWithResponseStream, SigV4-signed, with the Bedrock body", async () => {
    fake.answer(() => ({
      blocks: [{ type: "text", pieces: ["Hello", "! How", " can I help"] }],
      usage: { input: 20, cacheRead: 4, output: 8 },
    }));
    const res = await svc.post({
      model: MODEL,
      messages: [{ role: "system", content: "Be terse." }, ...user],
      stream: true,
      temperature: 0.5,
    });
    expect(res.status).toBe(200);
    const lines = await readNdjson(res);
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines).toEqual([
      { type: "text_delta_start", content: "Hello" },
      { type: "text_delta", content: "! How" },
      { type: "text_delta", content: " can I help" },
      { type: "text_delta_end", content: "" },
      { type: "usage", inputTokens: 24, outputTokens: 8, cachedInputTokens: 4 },
      { type: "finish", finishReason: "stop" },
    ]);
    const sent = fake.requests[0]!;
    expect(sent.url).toBe("/model/eu.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke-with-response-stream");
    expect(fake.modelIds).toEqual([MODEL_ID]);
    expect(fake.signatures[0]).toMatchObject({ ok: true, accessKeyId: CREDENTIALS.accessKeyId, region: REGION, service: "bedrock" });
    expect(sent.body).toEqual({
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: 4096,
      system: "Be terse.",
      temperature: 0.5,
      messages: [{ role: "user", content: [{ type: "text", text: "What is the weather in Paris?" }] }],
    });
    const [event] = await svc.sink.waitFor(1);
    expect(event).toMatchObject({
      provider: "anthropic_bedrock",
      deploymentName: MODEL_ID,
      inputTokens: 24,
      outputTokens: 8,
      cachedInputTokens: 4,
      usageSource: "provider",
      status: "success",
    });
  });

  test("JSON answers through InvokeModel", async () => {
    fake.answer(() => ({ blocks: [{ type: "text", pieces: ["Hello! How can I help you?"] }], usage: { input: 25, output: 8 } }));
    const res = await svc.post({ model: MODEL, messages: user, topP: 0.9, topK: 20, stop: "END" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      outputText: "Hello! How can I help you?",
      output: [],
      usage: { inputTokens: 25, outputTokens: 8 },
      model: MODEL,
      finishReason: "stop",
    });
    expect(fake.requests[0]!.url).toBe("/model/eu.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke");
    expect(fake.signatures[0]!.ok).toBe(true);
    expect(fake.requests[0]!.body).toMatchObject({
      anthropic_version: "bedrock-2023-05-31",
      top_p: 0.9,
      top_k: 20,
      stop_sequences: ["END"],
    });
  });

  test("temporary credentials send and sign the session token; mapping headers are signed too", async () => {
    const sessionFake = await startBedrockFake({
      region: REGION,
      credentials: { ...CREDENTIALS, sessionToken: "FwoGZXIvYXdzEXAMPLETOKEN" },
    });
    const temp = await startService({
      mapping: singleTargetMapping(
        {
          type: "anthropic_bedrock",
          region: REGION,
          endpoint: sessionFake.url,
          ...CREDENTIALS,
          sessionToken: "FwoGZXIvYXdzEXAMPLETOKEN",
          headers: { "x-team": "core" },
        },
        MODEL_ID,
        MODEL,
      ),
    });
    try {
      const res = await temp.post({ model: MODEL, messages: user, stream: true });
      expect(grammarViolations(await readNdjson(res))).toEqual([]);
      const signature = sessionFake.signatures[0]!;
      expect(signature.ok).toBe(true);
      if (signature.ok) expect(signature.signedHeaders).toEqual(expect.arrayContaining(["x-amz-security-token", "x-team"]));
      expect(sessionFake.requests[0]!.headers["x-team"]).toBe("core");
    } finally {
      await temp.stop();
      await sessionFake.close();
    }
  });

  test("a wrong secret fails the fake's signature check → 502, secret never echoed", async () => {
    await withService({ mapping: bedrockMapping({}, { ...CREDENTIALS, secretAccessKey: "not-the-secret-key" }) }, async (wrong) => {
      for (const stream of [false, true]) {
        const res = await wrong.post({ model: MODEL, messages: user, stream });
        expect(res.status).toBe(502);
        const body: any = await res.json();
        expect(body.code).toBe("upstream_error");
        expect(body.message).toContain("credentials");
        expect(body.message).not.toContain("not-the-secret-key");
      }
      expect(fake.signatures.map((s) => (s.ok ? "ok" : s.errorType))).toEqual(["InvalidSignatureException", "InvalidSignatureException"]);
    });
  });

  test("an unknown access key → UnrecognizedClientException → 502", async () => {
    await withService({ mapping: bedrockMapping({}, { ...CREDENTIALS, accessKeyId: "AKIAUNKNOWN" }) }, async (wrong) => {
      const res = await wrong.post({ model: MODEL, messages: user });
      expect(res.status).toBe(502);
      expect(fake.signatures[0]).toMatchObject({ ok: false, errorType: "UnrecognizedClientException" });
    });
  });
});

test("the fake's frames have the documented event-stream layout", () => {
  const event = { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hello" } };
  const bytes = Buffer.from(chunkFrame(event, "abcdefghij"));
  const total = bytes.readUInt32BE(0);
  const headersLength = bytes.readUInt32BE(4);
  expect(total).toBe(bytes.length);
  expect(bytes.readUInt32BE(8)).toBe(crc32(bytes.subarray(0, 8)));
  expect(bytes.readUInt32BE(total - 4)).toBe(crc32(bytes.subarray(0, total - 4)));
  const headers: Record<string, string> = {};
  for (let at = 12; at < 12 + headersLength; ) {
    const nameLength = bytes[at]!;
    const name = bytes.toString("ascii", at + 1, at + 1 + nameLength);
    at += 1 + nameLength;
    expect(bytes[at]).toBe(7); // string
    const valueLength = bytes.readUInt16BE(at + 1);
    headers[name] = bytes.toString("utf8", at + 3, at + 3 + valueLength);
    at += 3 + valueLength;
  }
  expect(headers).toEqual({ ":event-type": "chunk", ":content-type": "application/json", ":message-type": "event" });
  const payload = JSON.parse(bytes.toString("utf8", 12 + headersLength, total - 4));
  expect(payload.p).toBe("abcdefghij");
  expect(JSON.parse(Buffer.from(payload.bytes, "base64").toString("utf8"))).toEqual(event);
});

describe("anthropic_bedrock: the Anthropic translation, reused", () => {
  test("parallel tool calls after text", async () => {
    fake.answer(() => ({
      blocks: [
        { type: "text", pieces: ["Checking."] },
        { type: "tool_use", id: "toolu_bdrk_01", name: "get_weather", argumentPieces: ['{"city":', '"Paris"}'] },
        { type: "tool_use", id: "toolu_bdrk_02", name: "get_time", argumentPieces: ['{"tz":"Europe/Paris"}'] },
      ],
      usage: { input: 100, output: 40 },
    }));
    const lines = await readNdjson(
      await svc.post({ model: MODEL, messages: user, stream: true, tools: weatherTools, toolChoice: "required" }),
    );
    expect(grammarViolations(lines)).toEqual([]);
    expect(lines.filter((l) => l.type === "tool_call_end")).toEqual([
      { type: "tool_call_end", id: "toolu_bdrk_01", name: "get_weather", arguments: '{"city":"Paris"}' },
      { type: "tool_call_end", id: "toolu_bdrk_02", name: "get_time", arguments: '{"tz":"Europe/Paris"}' },
    ]);
    expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "tool_calls" });
    expect(fake.requests[0]!.body.tool_choice).toEqual({ type: "any" });
  });

  test("a replayed tool conversation is sent in Anthropic's shape", async () => {
    fake.answer(() => ({ blocks: [{ type: "text", pieces: ["18C."] }] }));
    const res = await svc.post({
      model: MODEL,
      stream: true,
      tools: weatherTools,
      messages: [
        ...user,
        { role: "assistant", content: null, toolCalls: [{ id: "toolu_1", name: "get_weather", arguments: '{"city":"Paris"}' }] },
        { role: "tool", toolCallId: "toolu_1", content: "18C" },
      ],
    });
    expect(grammarViolations(await readNdjson(res))).toEqual([]);
    expect(fake.requests[0]!.body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "What is the weather in Paris?" }] },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "18C" }] },
    ]);
  });

  test("a length cut finishes with length", async () => {
    fake.answer(() => ({ blocks: [{ type: "text", pieces: ["It is"] }], stopReason: "max_tokens" }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true, maxOutputTokens: 2 }));
    expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "length" });
    expect(fake.requests[0]!.body.max_tokens).toBe(2);
  });

  test("JSON output through the forced tool, streamed and not", async () => {
    const schema = { type: "object", properties: { ok: { type: "boolean" } } };
    fake.answer(() => ({ blocks: [{ type: "tool_use", id: "toolu_j", name: "json_response", argumentPieces: ['{"ok"', ":true}"] }] }));
    const lines = await readNdjson(
      await svc.post({ model: MODEL, messages: user, stream: true, responseFormat: { type: "json_schema", schema } }),
    );
    expect(grammarViolations(lines)).toEqual([]);
    expect(streamedText(lines)).toBe('{"ok":true}');
    expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "stop" });
    const body: any = await (await svc.post({ model: MODEL, messages: user, responseFormat: { type: "json_schema", schema } })).json();
    expect(body).toMatchObject({ outputText: '{"ok":true}', finishReason: "stop", output: [] });
    expect(fake.requests[1]!.body.tool_choice).toEqual({ type: "tool", name: "json_response" });
  });

  test("usage falls back to amazon-bedrock-invocationMetrics", async () => {
    fake.answer(() => ({ blocks: [{ type: "text", pieces: ["ok"] }], usage: { input: 17, output: 3 }, metricsOnly: true }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true }));
    expect(lines.find((l) => l.type === "usage")).toEqual({ type: "usage", inputTokens: 17, outputTokens: 3 });
    const [event] = await svc.sink.waitFor(1);
    expect(event!.usageSource).toBe("provider");
  });

  test("reasoning effort enables thinking; thinking is not text", async () => {
    fake.answer(() => ({
      blocks: [
        { type: "thinking", pieces: ["Two and two."] },
        { type: "text", pieces: ["4"] },
      ],
      usage: { input: 9, output: 50 },
    }));
    const lines = await readNdjson(
      await svc.post({ model: MODEL, messages: user, stream: true, reasoningEffort: "high", maxOutputTokens: 30000 }),
    );
    expect(streamedText(lines)).toBe("4");
    expect(fake.requests[0]!.body).toMatchObject({ max_tokens: 30000, thinking: { type: "enabled", budget_tokens: 16384 } });
  });
});

describe("anthropic_bedrock: errors", () => {
  const cases: [string, number, string, number, string][] = [
    ["ThrottlingException", 429, "Too many requests, please wait before trying again.", 429, "rate_limited"],
    ["ServiceQuotaExceededException", 400, "Your request exceeds the service quota for your account.", 429, "rate_limited"],
    ["ServiceUnavailableException", 503, "Service is unavailable.", 502, "upstream_error"],
    ["ModelNotReadyException", 429, "Model is not ready for inference.", 502, "upstream_error"],
    ["InternalServerException", 500, "Internal server error", 502, "upstream_error"],
    ["ModelErrorException", 424, "The model failed to process the request.", 502, "upstream_error"],
    ["ValidationException", 400, "Input is too long for requested model.", 400, "upstream_invalid_request"],
    ["AccessDeniedException", 403, "You don't have access to the model with the specified model ID.", 502, "upstream_error"],
    ["ResourceNotFoundException", 404, "Could not resolve the foundation model from the provided model identifier.", 502, "upstream_error"],
    ["ModelTimeoutException", 408, "Model has timed out in processing the request.", 504, "upstream_timeout"],
  ];
  for (const [errorType, httpStatus, message, status, code] of cases) {
    test(`${errorType} (HTTP ${httpStatus}) → ${status} ${code}`, async () => {
      fake.answer(() => bedrockError(httpStatus, errorType, message));
      const { answers } = await expectUpstreamError(svc, { model: MODEL, messages: user }, { status, code, requestId: "req-7" });
      for (const { body } of answers) {
        if (code === "upstream_invalid_request") expect(body.message).toContain("Input is too long for requested model.");
      }
    });
  }

  const frames: [BedrockExceptionType, string][] = [
    ["throttlingException", "rate_limited"],
    ["serviceUnavailableException", "upstream_error"],
    ["internalServerException", "upstream_error"],
    ["modelStreamErrorException", "upstream_error"],
    ["modelTimeoutException", "upstream_timeout"],
    ["validationException", "upstream_invalid_request"],
  ];
  for (const [type, code] of frames) {
    test(`an in-stream ${type} frame after content → error line ${code}, usage, finish:error`, async () => {
      fake.answer(() => ({
        blocks: [{ type: "text", pieces: ["Partial"] }],
        exceptionAfterContent: { type, message: `${type} happened` },
      }));
      const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true }));
      const error = expectStreamFailed(lines);
      expect(lines[0]).toEqual({ type: "text_delta_start", content: "Partial" });
      expect(error.code).toBe(code);
      const [event] = await svc.sink.waitFor(1);
      expect(event).toMatchObject({ status: "error", finishReason: "error" });
    });
  }

  test("an exception frame before any content is a clean HTTP error", async () => {
    fake.answer(() => ({
      blocks: [],
      noPings: true,
      exceptionAfterContent: { type: "throttlingException", message: "Too many tokens, please wait." },
    }));
    const res = await svc.post({ model: MODEL, messages: user, stream: true });
    expect(res.status).toBe(429);
    expect(((await res.json()) as any).message).toContain("Too many tokens");
  });

  test("an Anthropic error event inside a chunk → error line", async () => {
    fake.answer(() => ({
      blocks: [{ type: "text", pieces: ["Partial"] }],
      midStreamError: { type: "overloaded_error", message: "Overloaded" },
    }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true }));
    const error = expectStreamFailed(lines);
    expect(error).toMatchObject({ code: "upstream_error", message: expect.stringContaining("Overloaded") });
  });

  test("a connection reset mid-stream ends the stream in the grammar", async () => {
    fake.answer(() => ({ blocks: [{ type: "text", pieces: ["Half an ans", "wer"] }], resetAfterContent: true }));
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true }));
    expectStreamFailed(lines);
    expect(streamedText(lines)).toBe("Half an answer");
  });

  test("a truncated frame at the end of the body is an error, not a clean finish", async () => {
    fake.answer((req) => {
      const full = startFrames(req);
      return {
        status: 200,
        headers: { "content-type": "application/vnd.amazon.eventstream" },
        body: [{ write: full.slice(0, full.length - 7) }],
      };
    });
    const lines = await readNdjson(await svc.post({ model: MODEL, messages: user, stream: true }));
    expectStreamFailed(lines);
  });

  test("client disconnect aborts the upstream request at once, even while it sends nothing", async () => {
    fake.answer(() => ({ blocks: [{ type: "text", pieces: ["First", " and only"] }], hangAfterContent: true }));
    const { upstreamClosed, event } = await cancelMidStream(svc, fake, { model: MODEL, messages: user, stream: true }, 1000);
    expect(upstreamClosed).toBe(true);
    expect(event).toMatchObject({ status: "cancelled" });
    expect(event.outputTokens).toBeGreaterThan(0);
  });

  clientDisconnectTests(() => ({ svc, fake: answeringTextPieces(fake) }), MODEL, user);

  test("the provider's total timeout ends a stalled stream with upstream_timeout", async () => {
    await withService({ mapping: bedrockMapping({ timeoutMs: 300 }) }, async (slow) => {
      fake.answer(() => ({ blocks: [{ type: "text", pieces: ["Stalled"] }], hangAfterContent: true }));
      const lines = await readNdjson(await slow.post({ model: MODEL, messages: user, stream: true }));
      const error = expectStreamFailed(lines);
      expect(error).toMatchObject({ code: "upstream_timeout" });
      expect(await closedWithin(fake.requests[0]!)).toBe(true);
    });
  });

  test("an unreachable endpoint is a 502 naming the provider", async () => {
    const answers = await answersFromUnreachable(
      { type: "anthropic_bedrock", region: REGION, endpoint: UNREACHABLE_URL, ...CREDENTIALS },
      { model: "m", messages: user },
    );
    for (const { res, body } of answers) {
      expect(res.status).toBe(502);
      expect(body.message).toContain("could not reach anthropic_bedrock");
    }
  });
});

/** The bytes of a whole text answer, to cut short. */
function startFrames(_req: RecordedRequest): Uint8Array {
  const steps = bedrockStreamResponse(MODEL_ID, { blocks: [{ type: "text", pieces: ["Hello"] }] }).body as { write: Uint8Array }[];
  return Buffer.concat(steps.map((s) => s.write));
}
