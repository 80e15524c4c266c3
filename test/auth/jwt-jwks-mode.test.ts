/** AUTH_MODE=jwt with JWT_JWKS_URL (RS/ES through jose), against a fake issuer, over real HTTP. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FakeJwksServer } from "../fakes/jwks-server";
import { bearer, expectServed, expectUnauthorized } from "../support/expect-auth";
import { startService, type RunningService } from "../support/guarded-service";
import { claims, nowSeconds, sign, tamper, unsecured } from "../support/tokens";

const ISSUER_ENV = { JWT_ISSUER: "https://issuer.test", JWT_AUDIENCE: "completion-service" };

describe("jwt mode with JWT_JWKS_URL", () => {
  let jwks: FakeJwksServer;
  let svc: RunningService;
  let rsa: Awaited<ReturnType<FakeJwksServer["addKey"]>>;
  let ec: Awaited<ReturnType<FakeJwksServer["addKey"]>>;

  beforeAll(async () => {
    jwks = await FakeJwksServer.start();
    rsa = await jwks.addKey("RS256");
    ec = await jwks.addKey("ES256");
    svc = await startService({ AUTH_MODE: "jwt", JWT_JWKS_URL: jwks.url, ...ISSUER_ENV });
  });
  afterAll(async () => {
    await svc.stop();
    await jwks.stop();
  });

  test("the keys are fetched once at start", () => {
    expect(jwks.fetches).toBe(1);
  });

  test("RS256 and ES256 tokens are accepted; sub is auth.subject", async () => {
    const viaRsa = await expectServed(await svc.complete(bearer(await jwks.signWith(rsa, claims({ sub: "rs-user" })))), svc);
    expect(viaRsa.auth).toEqual({ method: "jwt", subject: "rs-user" });
    const viaEc = await expectServed(await svc.complete(bearer(await jwks.signWith(ec, claims({ sub: "ec-user" })))), svc);
    expect(viaEc.auth).toEqual({ method: "jwt", subject: "ec-user" });
  });

  test("missing credentials: 401", async () => {
    expectUnauthorized(await svc.complete(), svc);
  });

  test("expired / not yet valid beyond the skew: 401", async () => {
    expectUnauthorized(await svc.complete(bearer(await jwks.signWith(rsa, claims({ exp: nowSeconds() - 60 })))), svc);
    expectUnauthorized(await svc.complete(bearer(await jwks.signWith(ec, claims({ nbf: nowSeconds() + 120 })))), svc);
  });

  test("wrong issuer or audience: 401", async () => {
    expectUnauthorized(await svc.complete(bearer(await jwks.signWith(rsa, claims({ iss: "https://elsewhere.test" })))), svc);
    expectUnauthorized(await svc.complete(bearer(await jwks.signWith(rsa, claims({ aud: "another-service" })))), svc);
  });

  test("alg none, even naming a published kid: 401", async () => {
    expectUnauthorized(await svc.complete(bearer(unsecured(claims(), rsa.kid))), svc);
  });

  test("a tampered payload: 401", async () => {
    const token = await jwks.signWith(rsa, claims({ sub: "rs-user" }));
    expectUnauthorized(await svc.complete(bearer(tamper(token, claims({ sub: "root" })))), svc);
  });

  test("signed by a key the issuer never published, or under another key's kid: 401", async () => {
    const stray = await jwks.addKey("RS256", "stray", false);
    expectUnauthorized(await svc.complete(bearer(await jwks.signWith(stray, claims()))), svc);
    expectUnauthorized(await svc.complete(bearer(await jwks.signWith(stray, claims(), { kid: rsa.kid }))), svc);
  });

  test("algorithm confusion: HS256 signed with the RSA public key (PEM), with or without its kid: 401", async () => {
    const pem = new TextEncoder().encode(await FakeJwksServer.publicPem(rsa));
    expectUnauthorized(await svc.complete(bearer(await sign(claims(), pem, { alg: "HS256" }))), svc);
    expectUnauthorized(await svc.complete(bearer(await sign(claims(), pem, { alg: "HS256", kid: rsa.kid }))), svc);
  });

  test("an RSA key used with an EC alg header (ES256 claimed, RS256 signature): 401", async () => {
    const token = await jwks.signWith(rsa, claims());
    const [, payload, signature] = token.split(".");
    const header = Buffer.from(JSON.stringify({ alg: "ES256", kid: rsa.kid })).toString("base64url");
    expectUnauthorized(await svc.complete(bearer(`${header}.${payload}.${signature}`)), svc);
  });
});

describe("JWKS rotation and refetch rate limit", () => {
  const COOLDOWN_MS = 400;
  let jwks: FakeJwksServer;
  let svc: RunningService;

  beforeAll(async () => {
    jwks = await FakeJwksServer.start();
    await jwks.addKey("RS256", "old");
    svc = await startService({ AUTH_MODE: "jwt", JWT_JWKS_URL: jwks.url, ...ISSUER_ENV }, { jwks: { cooldownMs: COOLDOWN_MS } });
  });
  afterAll(async () => {
    await svc.stop();
    await jwks.stop();
  });

  test("a new kid refetches the JWKS, at most once per cooldown, and works once fetched", async () => {
    expect(jwks.fetches).toBe(1);
    await Bun.sleep(COOLDOWN_MS + 50);

    // The issuer rotates in a key: the first token under it refetches and passes.
    const rotated = await jwks.addKey("RS256", "rotated-1");
    await expectServed(await svc.complete(bearer(await jwks.signWith(rotated, claims({ sub: "after-rotation" })))), svc);
    expect(jwks.fetches).toBe(2);

    // Within the cooldown another new key is not fetched for: refused, no request to the issuer.
    const early = await jwks.addKey("ES256", "rotated-2");
    const earlyToken = await jwks.signWith(early, claims());
    expectUnauthorized(await svc.complete(bearer(earlyToken)), svc);
    expect(jwks.fetches).toBe(2);

    // After the cooldown the same token passes.
    await Bun.sleep(COOLDOWN_MS + 50);
    await expectServed(await svc.complete(bearer(earlyToken)), svc);
    expect(jwks.fetches).toBe(3);
  });

  test("a flood of unknown kids costs one fetch per cooldown, concurrent callers share it", async () => {
    await Bun.sleep(COOLDOWN_MS + 50);
    const before = jwks.fetches;
    const strangers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => jwks.signWith(await jwks.addKey("ES256", `unknown-${i}`, false), claims())),
    );
    const calls = await Promise.all(strangers.map((t) => svc.complete(bearer(t))));
    for (const call of calls) expectUnauthorized(call, svc);
    expect(jwks.fetches).toBe(before + 1);
  });

  test("while the issuer is down, the keys in hand keep working and failed fetches are rate limited too", async () => {
    await Bun.sleep(COOLDOWN_MS + 50);
    const known = await jwks.addKey("RS256", "known-before-outage");
    await expectServed(await svc.complete(bearer(await jwks.signWith(known, claims()))), svc); // fetched now
    jwks.failWith = 503;
    await Bun.sleep(COOLDOWN_MS + 50);
    const before = jwks.fetches;
    const stranger = await jwks.addKey("RS256", "during-outage", false);
    for (let i = 0; i < 3; i++) expectUnauthorized(await svc.complete(bearer(await jwks.signWith(stranger, claims()))), svc);
    expect(jwks.fetches).toBe(before + 1);
    await expectServed(await svc.complete(bearer(await jwks.signWith(known, claims()))), svc);
    jwks.failWith = null;
  });
});
