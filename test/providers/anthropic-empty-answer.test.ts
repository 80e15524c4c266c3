/**
 * A non-streamed Anthropic Messages answer with no content and no `stop_reason` is not an answer:
 * a 502 `upstream_error` saying what was wrong, for `anthropic` and for `anthropic_bedrock`, which
 * shares the body. An empty content with a stop reason stays a (short) 200.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startAnthropicFake, type AnthropicFake } from "../fakes/anthropic/anthropic-fake";
import { startBedrockFake, type BedrockFake } from "../fakes/bedrock/bedrock-fake";
import { jsonResponse } from "../fakes/fake-upstream";
import { singleTargetMapping, startService, type Harness } from "../support/service-harness";

const REGION = "eu-west-1";
const AWS = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
const user = [{ role: "user", content: "Hello?" }];
const USAGE = { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0, service_tier: "standard" };

/** A Messages body as Anthropic words it, with the given content and stop reason. */
function message(content: unknown[], stopReason: string | null) {
  return {
    id: "msg_01QCfake",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5",
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: USAGE,
  };
}

let anthropic: AnthropicFake;
let bedrock: BedrockFake;
const services: Record<string, Harness> = {};

beforeAll(async () => {
  anthropic = await startAnthropicFake({ apiKey: "sk-ant" });
  bedrock = await startBedrockFake({ region: REGION, credentials: AWS });
  services.anthropic = await startService({
    mapping: singleTargetMapping({ type: "anthropic", apiKey: "sk-ant", baseUrl: anthropic.url }, "claude-sonnet-4-5"),
  });
  services.anthropic_bedrock = await startService({
    mapping: singleTargetMapping(
      { type: "anthropic_bedrock", region: REGION, endpoint: bedrock.url, ...AWS },
      "anthropic.claude-sonnet-4-5-20250929-v1:0",
    ),
  });
});

afterAll(async () => {
  for (const svc of Object.values(services)) await svc.stop();
  await anthropic.close();
  await bedrock.close();
});

function answerWith(type: string, body: unknown): void {
  if (type === "anthropic") anthropic.answer(() => jsonResponse(200, body, { "request-id": "req_011CfakeRequest" }));
  else bedrock.answer(() => jsonResponse(200, body, { "x-amzn-requestid": "9b1c3b6e-0000-4000-8000-fakerequest" }));
}

for (const type of ["anthropic", "anthropic_bedrock"]) {
  describe(`${type}: a non-streamed answer with nothing in it`, () => {
    for (const [what, body] of [
      ["empty content and no stop_reason", message([], null)],
      ["no content field and no stop_reason", { id: "msg_01QCfake", type: "message", role: "assistant", usage: USAGE }],
      ["an empty object", {}],
    ] as const) {
      test(`${what} → 502 upstream_error saying what was wrong`, async () => {
        answerWith(type, body);
        const res = await services[type]!.post({ model: "m", messages: user });
        const answer: any = await res.json();
        expect({ status: res.status, code: answer.code }).toEqual({ status: 502, code: "upstream_error" });
        expect(answer.message).toContain(`${type} answered with`);
        expect(answer.message).toContain("no stop_reason");
      });
    }

    test("empty content with a stop reason is still an (empty) answer", async () => {
      answerWith(type, message([], "end_turn"));
      const res = await services[type]!.post({ model: "m", messages: user });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ outputText: "", finishReason: "stop" });
    });
  });
}
