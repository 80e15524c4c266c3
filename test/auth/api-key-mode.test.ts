/** AUTH_MODE=api_key over real HTTP (docs/auth.md). */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { bearer, expectServed, expectUnauthorized } from "../support/expect-auth";
import { startService, type RunningService } from "../support/guarded-service";
import { claims, signHs256 } from "../support/tokens";

const PLAIN_KEY = "plain-key-0123456789abcdef";
const HASHED_KEY = "hashed-key-fedcba9876543210";
const HASHED_ENTRY = `sha256:${createHash("sha256").update(HASHED_KEY).digest("hex")}`;

let svc: RunningService;

beforeAll(async () => {
  svc = await startService({ AUTH_MODE: "api_key", API_KEYS: `${PLAIN_KEY}, ${HASHED_ENTRY}` });
});
afterAll(() => svc.stop());

describe("api_key mode", () => {
  test("a plain key in x-api-key is accepted, and the usage event names the key by its fingerprint", async () => {
    const event = await expectServed(await svc.complete({ "x-api-key": PLAIN_KEY }), svc);
    expect(event.auth).toEqual({ method: "api_key", keyName: createHash("sha256").update(PLAIN_KEY).digest("hex").slice(0, 12) });
  });

  test("a plain key as Authorization: Bearer is accepted", async () => {
    await expectServed(await svc.complete(bearer(PLAIN_KEY)), svc);
  });

  test("the bearer scheme is case-insensitive", async () => {
    await expectServed(await svc.complete({ authorization: `bearer ${PLAIN_KEY}` }), svc);
  });

  test("a key stored as a sha256: entry is accepted in either header", async () => {
    await expectServed(await svc.complete({ "x-api-key": HASHED_KEY }), svc);
    await expectServed(await svc.complete(bearer(HASHED_KEY)), svc);
  });

  test("presenting the stored digest itself is refused", async () => {
    expectUnauthorized(await svc.complete({ "x-api-key": HASHED_ENTRY }), svc);
    expectUnauthorized(await svc.complete({ "x-api-key": HASHED_ENTRY.slice("sha256:".length) }), svc);
  });

  test("missing credentials: 401", async () => {
    expectUnauthorized(await svc.complete(), svc);
  });

  test("a wrong key: 401", async () => {
    expectUnauthorized(await svc.complete({ "x-api-key": "not-a-key-at-all-0000000" }), svc);
    expectUnauthorized(await svc.complete(bearer("not-a-key-at-all-0000000")), svc);
  });

  test("a tampered key (one character changed, truncated, extended, other case): 401", async () => {
    for (const key of [`${PLAIN_KEY.slice(0, -1)}0`, PLAIN_KEY.slice(0, -1), `${PLAIN_KEY}x`, PLAIN_KEY.toUpperCase()]) {
      expectUnauthorized(await svc.complete({ "x-api-key": key }), svc);
    }
  });

  test("another scheme than Bearer carries no key: 401", async () => {
    expectUnauthorized(await svc.complete({ authorization: `Basic ${PLAIN_KEY}` }), svc);
    expectUnauthorized(await svc.complete({ authorization: PLAIN_KEY }), svc);
  });

  test("x-api-key decides when both headers are sent", async () => {
    expectUnauthorized(await svc.complete({ "x-api-key": "wrong-key-000000000000", ...bearer(PLAIN_KEY) }), svc);
    await expectServed(await svc.complete({ "x-api-key": PLAIN_KEY, ...bearer("wrong") }), svc);
  });

  test("a JWT is no API key: 401", async () => {
    const token = await signHs256(claims(), "a-secret-that-is-long-enough-for-hs256!!");
    expectUnauthorized(await svc.complete(bearer(token)), svc);
  });

  test("an unauthenticated request is refused before its body is validated", async () => {
    expectUnauthorized(await svc.complete({}, { model: "demo", max_tokens: 5 }), svc);
    const authenticated = await svc.complete({ "x-api-key": PLAIN_KEY }, { model: "demo", max_tokens: 5 });
    expect(authenticated.response.status).toBe(400);
  });

  test("a streaming request without credentials gets the JSON 401 too", async () => {
    expectUnauthorized(await svc.complete({}, { model: "demo", stream: true, messages: [{ role: "user", content: "hi" }] }), svc);
    const ok = await svc.complete({ "x-api-key": PLAIN_KEY }, { model: "demo", stream: true, messages: [{ role: "user", content: "hi" }] });
    expect(ok.response.status).toBe(200);
    expect((ok.body.lines as Array<{ type: string }>).at(-1)?.type).toBe("finish");
  });
});
