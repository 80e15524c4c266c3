/** AUTH_MODE=jwt with JWT_SECRET (HS256 through @elysiajs/jwt), over real HTTP (docs/auth.md). */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { generateKeyPair } from "jose";
import { flushAfterResponse } from "../../src/completion/after-response";
import { DEMO_REQUEST, startService, type RunningService } from "../support/guarded-service";
import { bearer, expectServed, expectUnauthorized } from "../support/expect-auth";
import { claims, nowSeconds, sign, signHs256, tamper, unsecured, without } from "../support/tokens";

const SECRET = "hs256-test-secret-with-more-than-32-bytes";

let svc: RunningService;

beforeAll(async () => {
  svc = await startService({
    AUTH_MODE: "jwt",
    JWT_SECRET: SECRET,
    JWT_ISSUER: "https://issuer.test",
    JWT_AUDIENCE: "completion-service",
  });
});
afterAll(() => svc.stop());

const withToken = async (payload = claims(), secret = SECRET) => svc.complete(bearer(await signHs256(payload, secret)));

describe("jwt mode with JWT_SECRET", () => {
  test("a good token is accepted and its sub is auth.subject in the usage event", async () => {
    const event = await expectServed(await withToken(claims({ sub: "alice" })), svc);
    expect(event.auth).toEqual({ method: "jwt", subject: "alice" });
  });

  test("the request's context cannot overwrite auth; it is copied as sent", async () => {
    const context = { auth: { subject: "mallory" }, subject: "mallory", userId: "u-1" };
    const token = await signHs256(claims({ sub: "alice" }), SECRET);
    const event = await expectServed(await svc.complete(bearer(token), { ...DEMO_REQUEST, context }), svc);
    expect(event.auth).toEqual({ method: "jwt", subject: "alice" });
    expect(event.context).toEqual(context);
  });

  test("an `auth` field in the request body is refused as unknown", async () => {
    const token = await signHs256(claims({ sub: "alice" }), SECRET);
    const call = await svc.complete(bearer(token), { ...DEMO_REQUEST, auth: { subject: "mallory" } });
    expect(call.response.status).toBe(400);
    flushAfterResponse();
    expect(svc.sink.events.some((e) => e.requestId === call.requestId)).toBe(false);
  });

  test("missing credentials: 401", async () => {
    expectUnauthorized(await svc.complete(), svc);
    expectUnauthorized(await svc.complete({ authorization: "Bearer" }), svc);
  });

  test("not a JWT: 401", async () => {
    expectUnauthorized(await svc.complete(bearer("not-a-jwt")), svc);
    expectUnauthorized(await svc.complete(bearer("a.b.c")), svc);
  });

  test("signed with another secret: 401", async () => {
    expectUnauthorized(await withToken(claims(), "another-secret-that-is-also-32-bytes-long"), svc);
  });

  test("expired beyond the 30 s skew: 401; within it: accepted", async () => {
    expectUnauthorized(await withToken(claims({ exp: nowSeconds() - 60 })), svc);
    await expectServed(await withToken(claims({ exp: nowSeconds() - 10 })), svc);
  });

  test("not yet valid beyond the skew: 401; within it: accepted", async () => {
    expectUnauthorized(await withToken(claims({ nbf: nowSeconds() + 120 })), svc);
    await expectServed(await withToken(claims({ nbf: nowSeconds() + 10 })), svc);
  });

  test("wrong or missing issuer: 401", async () => {
    expectUnauthorized(await withToken(claims({ iss: "https://elsewhere.test" })), svc);
    expectUnauthorized(await withToken(without(claims(), "iss")), svc);
  });

  test("wrong or missing audience: 401; an audience list holding ours: accepted", async () => {
    expectUnauthorized(await withToken(claims({ aud: "another-service" })), svc);
    expectUnauthorized(await withToken(without(claims(), "aud")), svc);
    await expectServed(await withToken(claims({ aud: ["another-service", "completion-service"] })), svc);
  });

  test("alg none: 401", async () => {
    expectUnauthorized(await svc.complete(bearer(unsecured(claims()))), svc);
  });

  test("a tampered payload: 401", async () => {
    const token = await signHs256(claims({ sub: "alice" }), SECRET);
    expectUnauthorized(await svc.complete(bearer(tamper(token, claims({ sub: "root" })))), svc);
  });

  test("a tampered header (alg changed to HS512 / none): 401", async () => {
    const token = await signHs256(claims(), SECRET);
    const [, payload, signature] = token.split(".");
    for (const alg of ["HS512", "none"]) {
      const header = Buffer.from(JSON.stringify({ alg, typ: "JWT" })).toString("base64url");
      expectUnauthorized(await svc.complete(bearer(`${header}.${payload}.${signature}`)), svc);
    }
  });

  test("no sub, an empty sub or a non-string sub: 401", async () => {
    expectUnauthorized(await withToken(without(claims(), "sub")), svc);
    expectUnauthorized(await withToken(claims({ sub: "" })), svc);
    expectUnauthorized(await withToken({ ...claims(), sub: 42 as unknown as string }), svc);
  });

  test("no exp: 401", async () => {
    expectUnauthorized(await withToken(without(claims(), "exp")), svc);
  });

  test("other HMAC algorithms with the same secret are not accepted: 401", async () => {
    for (const alg of ["HS384", "HS512"]) {
      expectUnauthorized(await svc.complete(bearer(await signHs256(claims(), SECRET, alg))), svc);
    }
  });

  test("algorithm confusion: an RS256 or ES256 token when only a secret is configured: 401", async () => {
    for (const alg of ["RS256", "ES256"]) {
      const { privateKey } = await generateKeyPair(alg);
      expectUnauthorized(await svc.complete(bearer(await sign(claims(), privateKey, { alg }))), svc);
    }
  });

  test("a token in x-api-key is not looked at: 401", async () => {
    expectUnauthorized(await svc.complete({ "x-api-key": await signHs256(claims(), SECRET) }), svc);
  });

  test("every failure answers the same body, whatever failed", async () => {
    const failures = await Promise.all([
      svc.complete(),
      withToken(claims({ exp: nowSeconds() - 600 })),
      withToken(claims(), "another-secret-that-is-also-32-bytes-long"),
      withToken(claims({ aud: "x" })),
    ]);
    const bodies = failures.map((f) => ({ ...f.body, requestId: undefined }));
    for (const body of bodies) expect(body).toEqual(bodies[0]!);
  });
});
