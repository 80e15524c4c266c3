/**
 * Whose usage it was: the usage event names the API key (by its name, or a fingerprint for an
 * unnamed key) or the JWT's subject, in every auth mode, over real HTTP — never the key or token.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { bearer, expectServed, expectUnauthorized } from "../support/expect-auth";
import { startService, type RunningService } from "../support/guarded-service";
import { claims, signHs256 } from "../support/tokens";

const BILLING_KEY = "billing-team-key-0123456789";
const SEARCH_KEY = "search-team-key-9876543210";
const UNNAMED_KEY = "unnamed-key-abcdefghijklmn";
const UNNAMED_HASHED_KEY = "unnamed-hashed-key-zyxwvuts";
/** A base64 key with padding: `=` at its end is no name. */
const PADDED_KEY = "cGFkZGVkLWtleS0wMTIzNDU2Nzg5YQ==";
const SECRET = "attribution-secret-with-more-than-32-bytes";

const hex = (text: string) => createHash("sha256").update(text).digest("hex");
const fingerprint = (key: string) => hex(key).slice(0, 12);

const KEYS = [
  `billing=${BILLING_KEY}`,
  `search=sha256:${hex(SEARCH_KEY)}`,
  UNNAMED_KEY,
  `sha256:${hex(UNNAMED_HASHED_KEY)}`,
  PADDED_KEY,
].join(",");

function expectNoSecret(event: unknown, ...secrets: string[]): void {
  const text = JSON.stringify(event);
  for (const s of secrets) expect(text).not.toContain(s);
}

describe("api_key mode", () => {
  let svc: RunningService;
  beforeAll(async () => {
    svc = await startService({ AUTH_MODE: "api_key", API_KEYS: KEYS });
  });
  afterAll(() => svc.stop());

  test("a named key is recorded by its name, a plain or sha256: one by its name too", async () => {
    const billing = await expectServed(await svc.complete({ "x-api-key": BILLING_KEY }), svc);
    expect(billing.auth).toEqual({ method: "api_key", keyName: "billing" });
    const search = await expectServed(await svc.complete(bearer(SEARCH_KEY)), svc);
    expect(search.auth).toEqual({ method: "api_key", keyName: "search" });
    expectNoSecret([billing, search], BILLING_KEY, SEARCH_KEY);
  });

  test("an unnamed key is recorded by a fingerprint, the same whether the entry is the key or its sha256", async () => {
    const plain = await expectServed(await svc.complete({ "x-api-key": UNNAMED_KEY }), svc);
    expect(plain.auth).toEqual({ method: "api_key", keyName: fingerprint(UNNAMED_KEY) });
    const hashed = await expectServed(await svc.complete({ "x-api-key": UNNAMED_HASHED_KEY }), svc);
    expect(hashed.auth).toEqual({ method: "api_key", keyName: fingerprint(UNNAMED_HASHED_KEY) });
    expectNoSecret([plain, hashed], UNNAMED_KEY, UNNAMED_HASHED_KEY, hex(UNNAMED_KEY), hex(UNNAMED_HASHED_KEY));
  });

  test("a key ending in base64 padding is a bare key, not a name", async () => {
    const event = await expectServed(await svc.complete({ "x-api-key": PADDED_KEY }), svc);
    expect(event.auth).toEqual({ method: "api_key", keyName: fingerprint(PADDED_KEY) });
  });

  test("the name is not a credential, nor is name=key", async () => {
    expectUnauthorized(await svc.complete({ "x-api-key": "billing" }), svc);
    expectUnauthorized(await svc.complete({ "x-api-key": `billing=${BILLING_KEY}` }), svc);
  });
});

describe("jwt mode", () => {
  let svc: RunningService;
  beforeAll(async () => {
    svc = await startService({ AUTH_MODE: "jwt", JWT_SECRET: SECRET });
  });
  afterAll(() => svc.stop());

  test("a token is recorded by its subject, never the token", async () => {
    const token = await signHs256(claims({ sub: "alice" }), SECRET);
    const event = await expectServed(await svc.complete(bearer(token)), svc);
    expect(event.auth).toEqual({ method: "jwt", subject: "alice" });
    expectNoSecret(event, token);
  });
});

describe("api_key_or_jwt mode", () => {
  let svc: RunningService;
  beforeAll(async () => {
    svc = await startService({ AUTH_MODE: "api_key_or_jwt", API_KEYS: KEYS, JWT_SECRET: SECRET });
  });
  afterAll(() => svc.stop());

  test("a key as x-api-key or bearer is recorded by its name; a token by its subject", async () => {
    expect((await expectServed(await svc.complete({ "x-api-key": BILLING_KEY }), svc)).auth).toEqual({
      method: "api_key",
      keyName: "billing",
    });
    expect((await expectServed(await svc.complete(bearer(BILLING_KEY)), svc)).auth).toEqual({ method: "api_key", keyName: "billing" });
    const token = await signHs256(claims({ sub: "bob" }), SECRET);
    expect((await expectServed(await svc.complete(bearer(token)), svc)).auth).toEqual({ method: "jwt", subject: "bob" });
  });
});

describe("public mode", () => {
  test("auth is null", async () => {
    const svc = await startService({});
    try {
      expect((await expectServed(await svc.complete({ "x-api-key": BILLING_KEY }), svc)).auth).toBeNull();
    } finally {
      await svc.stop();
    }
  });
});
