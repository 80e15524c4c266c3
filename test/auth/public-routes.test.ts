/**
 * Health and metrics stay public in every mode, and the guard covers the completions route
 * (the Elysia hook scoping of src/auth/auth-guard.ts, checked through the real service).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createGuard } from "../../src/auth/create-guards";
import { parseSettings } from "../../src/config/settings";
import { createLogger } from "../../src/observability/logger";
import { FakeJwksServer } from "../fakes/jwks-server";
import { bearer, expectServed, expectUnauthorized } from "../support/expect-auth";
import { startService, type RunningService } from "../support/guarded-service";

const KEY = "public-routes-key-0123456789";
const SECRET = "public-routes-secret-with-more-than-32-bytes";

let jwks: FakeJwksServer;
beforeAll(async () => {
  jwks = await FakeJwksServer.start();
  await jwks.addKey("ES256");
});
afterAll(() => jwks.stop());

const MODES = {
  public: () => ({ AUTH_MODE: "public" }),
  api_key: () => ({ AUTH_MODE: "api_key", API_KEYS: KEY }),
  jwt: () => ({ AUTH_MODE: "jwt", JWT_SECRET: SECRET, JWT_JWKS_URL: jwks.url, JWT_AUDIENCE: "completion-service" }),
  api_key_or_jwt: () => ({ AUTH_MODE: "api_key_or_jwt", API_KEYS: KEY, JWT_SECRET: SECRET }),
};

for (const [mode, env] of Object.entries(MODES)) {
  describe(`AUTH_MODE=${mode}`, () => {
    let svc: RunningService;
    beforeAll(async () => {
      svc = await startService(env());
    });
    afterAll(() => svc.stop());

    test("GET /api/v1/health needs no credentials, and ignores bad ones", async () => {
      for (const headers of [{}, bearer("garbage"), { "x-api-key": "garbage" }]) {
        const response = await svc.get("/api/v1/health", headers);
        expect(response.status).toBe(200);
        expect(((await response.json()) as { status: string }).status).toBe("ok");
      }
    });

    test("GET /metrics needs no credentials", async () => {
      const response = await svc.get("/metrics", bearer("garbage"));
      expect(response.status).toBe(200);
      expect(await response.text()).toContain("completion_requests_total");
    });

    if (mode === "public") {
      test("POST /api/v1/completions is open, and auth is null in the usage event", async () => {
        const event = await expectServed(await svc.complete(), svc);
        expect(event.auth).toBeNull();
      });
    } else {
      test("POST /api/v1/completions is guarded", async () => {
        expectUnauthorized(await svc.complete(), svc);
      });
    }

    test("an unknown route is a 404, not a 401", async () => {
      expect((await svc.get("/api/v1/nothing-here")).status).toBe(404);
    });
  });
}

test("public mode warns once at start that the completions endpoint is open", async () => {
  const lines: string[] = [];
  const logger = createLogger("info", {}, (line) => lines.push(line));
  await createGuard(parseSettings({}), logger);
  const warnings = lines.map((l) => JSON.parse(l) as { level: string; msg: string }).filter((l) => l.level === "warn");
  expect(warnings).toHaveLength(1);
  expect(warnings[0]!.msg).toContain("without credentials");
});
