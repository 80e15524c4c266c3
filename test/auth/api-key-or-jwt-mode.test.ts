/** AUTH_MODE=api_key_or_jwt: a key or a token (secret- or JWKS-signed), over real HTTP. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { FakeJwksServer } from "../fakes/jwks-server";
import { bearer, expectServed, expectUnauthorized } from "../support/expect-auth";
import { startService, type RunningService } from "../support/guarded-service";
import { claims, nowSeconds, sign, signHs256, tamper, unsecured } from "../support/tokens";

const KEY = "either-mode-key-0123456789";
const SECRET = "either-mode-secret-with-more-than-32-bytes";

let jwks: FakeJwksServer;
let rsa: Awaited<ReturnType<FakeJwksServer["addKey"]>>;
let svc: RunningService;

beforeAll(async () => {
  jwks = await FakeJwksServer.start();
  rsa = await jwks.addKey("RS256");
  svc = await startService({
    AUTH_MODE: "api_key_or_jwt",
    API_KEYS: KEY,
    JWT_SECRET: SECRET,
    JWT_JWKS_URL: jwks.url,
    JWT_ISSUER: "https://issuer.test",
    JWT_AUDIENCE: "completion-service",
  });
});
afterAll(async () => {
  await svc.stop();
  await jwks.stop();
});

describe("api_key_or_jwt mode", () => {
  test("an API key in either header is accepted, attributed to the key's fingerprint", async () => {
    const keyName = createHash("sha256").update(KEY).digest("hex").slice(0, 12);
    expect((await expectServed(await svc.complete({ "x-api-key": KEY }), svc)).auth).toEqual({ method: "api_key", keyName });
    expect((await expectServed(await svc.complete(bearer(KEY)), svc)).auth).toEqual({ method: "api_key", keyName });
  });

  test("an HS256 token is accepted, with its subject", async () => {
    const event = await expectServed(await svc.complete(bearer(await signHs256(claims({ sub: "hs-user" }), SECRET))), svc);
    expect(event.auth).toEqual({ method: "jwt", subject: "hs-user" });
  });

  test("a JWKS-signed token is accepted, with its subject", async () => {
    const event = await expectServed(await svc.complete(bearer(await jwks.signWith(rsa, claims({ sub: "rs-user" })))), svc);
    expect(event.auth).toEqual({ method: "jwt", subject: "rs-user" });
  });

  test("missing, wrong key, wrong token: 401", async () => {
    expectUnauthorized(await svc.complete(), svc);
    expectUnauthorized(await svc.complete({ "x-api-key": "wrong-key-0123456789" }), svc);
    expectUnauthorized(await svc.complete(bearer("wrong-key-0123456789")), svc);
    expectUnauthorized(await svc.complete(bearer(await signHs256(claims(), "another-secret-that-is-also-32-bytes-long"))), svc);
  });

  test("expired, not-yet-valid, wrong issuer, wrong audience, alg none, tampered: 401", async () => {
    const now = nowSeconds();
    for (const bad of [
      await signHs256(claims({ exp: now - 60 }), SECRET),
      await signHs256(claims({ nbf: now + 120 }), SECRET),
      await jwks.signWith(rsa, claims({ iss: "https://elsewhere.test" })),
      await jwks.signWith(rsa, claims({ aud: "another-service" })),
      unsecured(claims()),
      tamper(await signHs256(claims({ sub: "a" }), SECRET), claims({ sub: "root" })),
    ]) {
      expectUnauthorized(await svc.complete(bearer(bad)), svc);
    }
  });

  test("a wrong x-api-key is not rescued by a good bearer token", async () => {
    const token = await signHs256(claims(), SECRET);
    expectUnauthorized(await svc.complete({ "x-api-key": "wrong-key-0123456789", ...bearer(token) }), svc);
  });

  test("algorithm confusion with both key sources configured: HS256 signed with the RSA public key: 401", async () => {
    const pem = new TextEncoder().encode(await FakeJwksServer.publicPem(rsa));
    expectUnauthorized(await svc.complete(bearer(await sign(claims(), pem, { alg: "HS256", kid: rsa.kid }))), svc);
  });
});
