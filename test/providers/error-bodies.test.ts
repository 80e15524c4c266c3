/**
 * Each provider's reading of its own error bodies and failures, on bodies as the providers (and
 * the fakes under test/fakes/) send them; what they become is the shared classification's.
 */
import { describe, expect, test } from "bun:test";
import { APIError as AnthropicAPIError } from "@anthropic-ai/sdk";
import { ApiError as GoogleApiError } from "@google/genai";
import { APIError as OpenAIAPIError } from "openai/core/error";
import {
  anthropicStreamError,
  describeAnthropicErrorEvent,
  describeAnthropicFailure,
  readAnthropicErrorBody,
} from "../../src/providers/anthropic/describe-anthropic-failure";
import { cleanBedrockMessage, describeBedrockFailure } from "../../src/providers/bedrock/describe-bedrock-failure";
import { describeGoogleFailure, readGoogleErrorBody } from "../../src/providers/google/describe-google-failure";
import type { GoogleAnswerTranslator } from "../../src/providers/google/google-response-to-events";
import { readMistralErrorBody } from "../../src/providers/mistral/describe-mistral-failure";
import { readOllamaErrorBody } from "../../src/providers/ollama/read-ollama-error-body";
import { describeOpenAIFailure, readOpenAIErrorBody } from "../../src/providers/openai-compatible/describe-openai-failure";

describe("anthropic", () => {
  test("reads `{type:error, error:{type, message}}`, a bare error and short text; not an HTML page", () => {
    expect(readAnthropicErrorBody({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } })).toEqual({
      code: "overloaded_error",
      message: "Overloaded",
    });
    expect(readAnthropicErrorBody({ type: "rate_limit_error", message: "Number of requests has exceeded your rate limit" })).toEqual({
      code: "rate_limit_error",
      message: "Number of requests has exceeded your rate limit",
    });
    expect(readAnthropicErrorBody("upstream connect error")).toEqual({ message: "upstream connect error" });
    expect(readAnthropicErrorBody("<html><body>502 Bad Gateway</body></html>")).toEqual({});
    expect(readAnthropicErrorBody({ type: "error" })).toEqual({ code: undefined, message: undefined });
  });

  test("an error event is classed by the status its type stands for; billing is the account", () => {
    expect(describeAnthropicErrorEvent({ type: "error", error: { type: "rate_limit_error", message: "slow down" } })).toEqual({
      kind: "in-band",
      detail: "slow down (rate_limit_error)",
      status: 429,
      body: { code: "rate_limit_error", message: "slow down" },
    });
    expect(describeAnthropicErrorEvent({ type: "error", error: { type: "billing_error", message: "credit balance too low" } })).toEqual({
      kind: "account-refused",
      message: "credit balance too low",
    });
    expect(describeAnthropicErrorEvent({ type: "error", error: { type: "something_new" } })).toMatchObject({
      kind: "in-band",
      detail: "error event (something_new)",
      status: undefined,
    });
  });

  test("the translator's error event keeps its wording and class", () => {
    const overloaded = anthropicStreamError("anthropic", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
    expect([overloaded.code, overloaded.message, overloaded.retryable, overloaded.upstreamStatus]).toEqual([
      "upstream_error",
      "anthropic answer failed: Overloaded (overloaded_error)",
      true,
      undefined,
    ]);
    const invalid = anthropicStreamError("anthropic", { type: "error", error: { type: "invalid_request_error", message: "bad tool" } });
    expect([invalid.code, invalid.message, invalid.upstreamStatus]).toEqual(["upstream_invalid_request", "bad tool", 400]);
  });

  test("an HTTP 402 is the account; other statuses carry the body's type as the code", () => {
    const body = { type: "error", error: { type: "billing_error", message: "Your credit balance is too low" } };
    expect(describeAnthropicFailure(AnthropicAPIError.generate(402, body, undefined, new Headers()))).toEqual({
      kind: "account-refused",
      message: "Your credit balance is too low",
    });
    const limited = { type: "error", error: { type: "rate_limit_error", message: "slow down" } };
    expect(
      describeAnthropicFailure(AnthropicAPIError.generate(429, limited, undefined, new Headers({ "retry-after": "3" }))),
    ).toMatchObject({
      kind: "http",
      status: 429,
      body: { code: "rate_limit_error", message: "slow down" },
    });
  });
});

describe("bedrock", () => {
  const awsError = (name: string, message: string, httpStatusCode?: number) =>
    Object.assign(new Error(message), { name, $metadata: httpStatusCode === undefined ? {} : { httpStatusCode } });

  test("an HTTP error is classed by its exception name before its status", () => {
    expect(describeBedrockFailure(awsError("ModelNotReadyException", "Model is not ready", 429), "request")).toEqual({
      kind: "http",
      status: 503,
      body: { message: "Model is not ready", code: "ModelNotReadyException" },
      headers: undefined,
    });
  });

  test("an exception frame inside a 200 stream is in-band, with the status its name stands for", () => {
    expect(describeBedrockFailure(awsError("throttlingException", "Too many tokens"), "read")).toMatchObject({
      kind: "in-band",
      detail: "Too many tokens (throttlingException)",
      status: 429,
    });
  });

  test("without a name or status: a connection failure before an answer, the answer's after", () => {
    expect(describeBedrockFailure(new Error("connect ECONNREFUSED"), "request")).toMatchObject({ kind: "connection" });
    expect(describeBedrockFailure(new Error("aborted"), "read")).toEqual({ kind: "connection-lost" });
    expect(describeBedrockFailure(awsError("Error", "odd", 200), "request")).toEqual({ kind: "answered" });
  });

  test("the SDK's debugging hint is cut; an HTTP error whose body it could not parse has no message", () => {
    const hinted =
      "answer too large\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.";
    expect(cleanBedrockMessage(hinted, false)).toBe("answer too large");
    expect(cleanBedrockMessage(hinted, true)).toBeUndefined();
    expect(cleanBedrockMessage("UnknownError", true)).toBeUndefined();
  });
});

describe("google", () => {
  const rateLimited = {
    error: {
      code: 429,
      message: "You exceeded your current quota, please check your plan and billing details.",
      status: "RESOURCE_EXHAUSTED",
      details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "34.4s" }],
    },
  };

  test("reads its status string as the code and RetryInfo as the delay", () => {
    expect(readGoogleErrorBody(JSON.stringify(rateLimited))).toEqual({
      message: "You exceeded your current quota, please check your plan and billing details.",
      code: "RESOURCE_EXHAUSTED",
      credentialsRejected: false,
      retryDelay: 34.4,
    });
  });

  test("finds the body after the SDK's prefix of an error inside a stream", () => {
    const text = `got status: 500. ${JSON.stringify({ error: { code: 500, message: "An internal error has occurred.", status: "INTERNAL" } })}`;
    expect(readGoogleErrorBody(text)).toMatchObject({ message: "An internal error has occurred.", code: "INTERNAL" });
  });

  test("a bad key is our credentials, though Google says 400 INVALID_ARGUMENT", () => {
    const body = {
      error: {
        code: 400,
        message: "API key not valid. Please pass a valid API key.",
        status: "INVALID_ARGUMENT",
        details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com" }],
      },
    };
    expect(readGoogleErrorBody(JSON.stringify(body)).credentialsRejected).toBe(true);
    expect(readGoogleErrorBody("not json at all")).toEqual({});
  });

  test("an ApiError is a refusal before any output, the answer's failure after", () => {
    const error = new GoogleApiError({ message: JSON.stringify(rateLimited), status: 429 });
    const before = { responses: { produced: false } } as GoogleAnswerTranslator;
    const after = { responses: { produced: true } } as GoogleAnswerTranslator;
    expect(describeGoogleFailure(error, "request", before)).toMatchObject({
      kind: "http",
      status: 429,
      headers: { "retry-after": "34.4" },
    });
    expect(describeGoogleFailure(error, "read", after)).toEqual({
      kind: "in-band",
      detail: "You exceeded your current quota, please check your plan and billing details. (RESOURCE_EXHAUSTED)",
    });
    expect(describeGoogleFailure(new SyntaxError("Unexpected token"), "request", before)).toEqual({
      kind: "unreadable",
      what: "malformed JSON: Unexpected token",
    });
  });
});

describe("mistral", () => {
  test("reads its flat body, FastAPI's validation list, a bare message, a proxy's error and text", () => {
    expect(
      readMistralErrorBody(
        JSON.stringify({ object: "error", message: "Invalid model: nope", type: "invalid_model", param: null, code: "1500" }),
      ),
    ).toEqual({ message: "Invalid model: nope", code: "invalid_model" });
    expect(
      readMistralErrorBody(
        JSON.stringify({
          detail: [{ type: "extra_forbidden", loc: ["body", "messages", 0, "foo"], msg: "Extra inputs are not permitted", input: 1 }],
        }),
      ),
    ).toEqual({ message: "messages.0.foo: Extra inputs are not permitted", code: undefined });
    expect(readMistralErrorBody(JSON.stringify({ message: "Unauthorized", request_id: "abc" }))).toEqual({
      message: "Unauthorized",
      code: undefined,
    });
    expect(readMistralErrorBody(JSON.stringify({ error: { message: "upstream overloaded", code: "overloaded" } }))).toEqual({
      message: "upstream overloaded",
      code: "overloaded",
    });
    expect(readMistralErrorBody("Bad Gateway")).toEqual({ message: "Bad Gateway" });
    expect(readMistralErrorBody("  ")).toEqual({});
  });
});

describe("openai-compatible", () => {
  test("reads OpenAI's `{error:{…}}`, vLLM's integer codes and flat errors, AI21's detail", () => {
    expect(
      readOpenAIErrorBody({ error: { message: "Rate limit reached", type: "requests", param: null, code: "rate_limit_exceeded" } }),
    ).toEqual({ message: "Rate limit reached", code: "rate_limit_exceeded" });
    expect(
      readOpenAIErrorBody({ error: { message: "The model `x` does not exist.", type: "NotFoundError", param: null, code: 404 } }),
    ).toEqual({
      message: "The model `x` does not exist.",
      code: "404",
    });
    expect(readOpenAIErrorBody({ object: "error", message: "boom", type: "InternalServerError", param: null, code: 500 })).toEqual({
      message: "boom",
      code: "500",
    });
    expect(readOpenAIErrorBody({ detail: "Invalid API key" })).toEqual({ message: "Invalid API key", code: undefined });
    expect(readOpenAIErrorBody({ detail: [{ loc: ["body", "max_tokens"], msg: "Input should be greater than 0" }] }).message).toBe(
      "body.max_tokens: Input should be greater than 0",
    );
    expect(readOpenAIErrorBody("Bad Gateway")).toEqual({ message: "Bad Gateway" });
  });

  const contentFilter = {
    error: {
      message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
      type: null,
      param: "prompt",
      code: "content_filter",
      status: 400,
      innererror: {
        code: "ResponsibleAIPolicyViolation",
        content_filter_result: { hate: { filtered: true, severity: "high" }, violence: { filtered: false, severity: "safe" } },
      },
    },
  };

  test("Azure's content filter names what it flagged", () => {
    expect(readOpenAIErrorBody(contentFilter)).toMatchObject({ code: "content_filter", filtered: ["hate: high"] });
    expect(describeOpenAIFailure("azure_openai", OpenAIAPIError.generate(400, contentFilter, undefined, new Headers()))).toEqual({
      kind: "http",
      status: 400,
      body: {
        message:
          "azure_openai content filter blocked the prompt (hate: high): The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
        code: "content_filter",
      },
      headers: new Headers(),
    });
  });

  test("an error object inside a 200 stream is in-band; a body that is not JSON keeps its text once", () => {
    expect(
      describeOpenAIFailure("vllm", new OpenAIAPIError(undefined, { message: "engine died", code: 500 }, undefined, new Headers())),
    ).toEqual({
      kind: "in-band",
      detail: "engine died",
    });
    expect(describeOpenAIFailure("openai", OpenAIAPIError.generate(502, undefined, "Bad Gateway", new Headers()))).toMatchObject({
      kind: "http",
      status: 502,
      body: { message: "Bad Gateway" },
    });
  });
});

describe("ollama", () => {
  test("reads `{error}`, a proxy's `{error:{message}}`, and text", () => {
    expect(readOllamaErrorBody(JSON.stringify({ error: "model 'llama9' not found, try pulling it first" }))).toEqual({
      message: "model 'llama9' not found, try pulling it first",
    });
    expect(readOllamaErrorBody(JSON.stringify({ error: { message: "unauthorized" } }))).toEqual({ message: "unauthorized" });
    expect(readOllamaErrorBody(" 502 Bad Gateway \n")).toEqual({ message: "502 Bad Gateway" });
    expect(readOllamaErrorBody("")).toEqual({ message: undefined });
  });
});
