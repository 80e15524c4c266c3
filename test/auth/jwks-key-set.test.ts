/** JwksKeySet against the fake issuer: refresh when stale, keep keys on a bad fetch, start without keys. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jwtVerify } from "jose";
import { JwksKeySet } from "../../src/auth/jwks-key-set";
import { silentLogger } from "../../src/observability/logger";
import { FakeJwksServer } from "../fakes/jwks-server";
import { claims } from "../support/tokens";

let jwks: FakeJwksServer;
beforeAll(async () => {
  jwks = await FakeJwksServer.start();
});
afterAll(() => jwks.stop());

const verifies = async (keySet: JwksKeySet, token: string): Promise<boolean> =>
  jwtVerify(token, keySet.getKey).then(
    () => true,
    () => false,
  );

describe("JwksKeySet", () => {
  test("stale keys are refreshed in the background and used meanwhile", async () => {
    const pair = await jwks.addKey("ES256", "stale-test");
    const keySet = new JwksKeySet(jwks.url, silentLogger, { maxAgeMs: 100, cooldownMs: 100 });
    expect(await keySet.refresh()).toBe(true);
    const token = await jwks.signWith(pair, claims());
    const before = jwks.fetches;

    await Bun.sleep(150);
    jwks.removeKey("stale-test");
    // Stale: this call starts a refetch but answers from the keys in hand.
    expect(await verifies(keySet, token)).toBe(true);
    await Bun.sleep(50);
    expect(jwks.fetches).toBe(before + 1);
    // The refetched set no longer holds the key: the issuer revoked it.
    expect(await verifies(keySet, token)).toBe(false);
  });

  test("an invalid or failed fetch keeps the keys loaded before", async () => {
    const pair = await jwks.addKey("RS256", "kept");
    const keySet = new JwksKeySet(jwks.url, silentLogger, { cooldownMs: 0 });
    expect(await keySet.refresh()).toBe(true);
    const token = await jwks.signWith(pair, claims());

    jwks.serveBody = JSON.stringify({ keys: "not a list" });
    expect(await keySet.refresh()).toBe(false);
    jwks.serveBody = "not json";
    expect(await keySet.refresh()).toBe(false);
    jwks.serveBody = null;
    jwks.failWith = 500;
    expect(await keySet.refresh()).toBe(false);
    jwks.failWith = null;

    expect(await verifies(keySet, token)).toBe(true);
  });

  test("an issuer unreachable at start: no keys, tokens fail, and a later fetch (after the cooldown) loads them", async () => {
    const pair = await jwks.addKey("RS256", "late");
    const token = await jwks.signWith(pair, claims());
    jwks.failWith = 503;
    const keySet = new JwksKeySet(jwks.url, silentLogger, { cooldownMs: 100 });
    expect(await keySet.refresh()).toBe(false);
    expect(keySet.loaded).toBe(false);
    expect(await verifies(keySet, token)).toBe(false);
    jwks.failWith = null;
    expect(await verifies(keySet, token)).toBe(false); // within the cooldown: no fetch
    await Bun.sleep(120);
    expect(await verifies(keySet, token)).toBe(true);
  });

  test("a JWKS behind a redirect is not followed", async () => {
    const redirector = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () => Response.redirect(jwks.url, 302),
    });
    try {
      const keySet = new JwksKeySet(`http://127.0.0.1:${redirector.port}/jwks`, silentLogger);
      expect(await keySet.refresh()).toBe(false);
    } finally {
      await redirector.stop(true);
    }
  });
});
