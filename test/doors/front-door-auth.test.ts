/**
 * The front doors are guarded exactly like /api/v1/completions, with credentials as each SDK sends
 * them: `Authorization: Bearer` (openai) and `x-api-key` (@anthropic-ai/sdk). A refusal raises the
 * SDK's AuthenticationError, in its API's error shape.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startService, type RunningService } from "../support/guarded-service";
import { claims, signHs256 } from "../support/tokens";

const KEY = "door-key-0123456789abcdef";
const SECRET = "a-jwt-secret-of-at-least-32-bytes-long!!";
let svc: RunningService;

beforeAll(async () => {
  svc = await startService({
    AUTH_MODE: "api_key_or_jwt",
    API_KEYS: KEY,
    JWT_SECRET: SECRET,
    JWT_ISSUER: "https://issuer.test",
    JWT_AUDIENCE: "completion-service",
  });
});
afterAll(() => svc.stop());

const openai = (apiKey: string) => new OpenAI({ baseURL: `${svc.baseUrl}/v1`, apiKey, maxRetries: 0 });
const anthropic = (apiKey: string) => new Anthropic({ baseURL: svc.baseUrl, apiKey, maxRetries: 0 });
const hello = [{ role: "user" as const, content: "hi" }];

describe("openai door", () => {
  test("a wrong key: AuthenticationError with OpenAI's error body", async () => {
    const error = await openai("wrong-key")
      .chat.completions.create({ model: "demo", messages: hello })
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error.error).toEqual({
      message: "missing or invalid credentials",
      type: "authentication_error",
      param: null,
      code: "unauthorized",
    });
    expect(error.headers.get("www-authenticate")).toBe("Bearer");
  });

  test("the right key as a bearer token, and a JWT: answered, the key's fingerprint and the token's subject on the usage event", async () => {
    const completion = await openai(KEY).chat.completions.create({ model: "demo", messages: hello });
    expect(completion.choices[0]!.message.content!.length).toBeGreaterThan(0);
    const token = await signHs256(claims({ sub: "user-7" }), SECRET);
    await openai(token).chat.completions.create({ model: "demo", messages: hello });
    const events = await svc.sink.waitFor(2);
    expect(events[0]!.auth).toEqual({ method: "api_key", keyName: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(events[1]!.auth).toEqual({ method: "jwt", subject: "user-7" });
  });

  test("/v1/models is guarded too", async () => {
    const error = await openai("wrong-key")
      .models.list()
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((await openai(KEY).models.retrieve("demo")).id).toBe("demo");
  });

  test("no credentials at all: refused before the body is looked at", async () => {
    const res = await fetch(`${svc.baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"model":1}',
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { type: "authentication_error" } });
  });
});

describe("anthropic door", () => {
  test("a wrong x-api-key: AuthenticationError with Anthropic's error body", async () => {
    const error = await anthropic("wrong-key")
      .messages.create({ model: "demo", max_tokens: 10, messages: hello })
      .catch((e) => e);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(error.error).toMatchObject({
      type: "error",
      error: { type: "authentication_error", message: "missing or invalid credentials" },
    });
  });

  test("the right x-api-key: answered", async () => {
    const message = await anthropic(KEY).messages.create({ model: "demo", max_tokens: 10, messages: hello });
    expect(message.content[0]!.type).toBe("text");
  });
});
