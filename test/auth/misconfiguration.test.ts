/** A mode whose settings cannot work stops start-up with one clear line (docs/auth.md). */
import { describe, expect, test } from "bun:test";
import { AuthConfigError } from "../../src/auth/auth-config-error";
import { createGuard } from "../../src/auth/create-guards";
import { parseSettings } from "../../src/config/settings";
import { createLogger, silentLogger } from "../../src/observability/logger";

const SECRET = "a-secret-that-is-long-enough-for-hs256!!";

const guardsFor = (env: Record<string, string>) => createGuard(parseSettings(env), silentLogger);

describe("createGuard refuses settings that cannot work", () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ["jwt without a secret or a JWKS URL", { AUTH_MODE: "jwt" }, "AUTH_MODE=jwt needs JWT_SECRET (HS256) or JWT_JWKS_URL (RS/ES keys)"],
    ["jwt with only issuer and audience", { AUTH_MODE: "jwt", JWT_ISSUER: "i", JWT_AUDIENCE: "a" }, "AUTH_MODE=jwt needs JWT_SECRET"],
    ["api_key without keys", { AUTH_MODE: "api_key" }, "AUTH_MODE=api_key needs API_KEYS"],
    ["api_key with only separators", { AUTH_MODE: "api_key", API_KEYS: " , ," }, "AUTH_MODE=api_key needs API_KEYS"],
    ["a malformed sha256: entry", { AUTH_MODE: "api_key", API_KEYS: "good-key-0123456789,sha256:1234" }, "API_KEYS entry 2 is malformed"],
    ["api_key_or_jwt without keys", { AUTH_MODE: "api_key_or_jwt", JWT_SECRET: SECRET }, "AUTH_MODE=api_key_or_jwt needs API_KEYS"],
    [
      "api_key_or_jwt without JWT keys",
      { AUTH_MODE: "api_key_or_jwt", API_KEYS: "k-0123456789abcdef" },
      "AUTH_MODE=api_key_or_jwt needs JWT_SECRET",
    ],
    [
      "a JWT_SECRET shorter than 32 bytes",
      { AUTH_MODE: "jwt", JWT_SECRET: "too-short" },
      "JWT_SECRET is too short: HS256 needs at least 32 bytes",
    ],
  ];
  for (const [name, env, message] of cases) {
    test(name, async () => {
      const error = await guardsFor(env).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AuthConfigError);
      expect((error as Error).message).toStartWith(message);
    });
  }

  test("a malformed entry's value is not echoed", async () => {
    const error = await guardsFor({ AUTH_MODE: "api_key", API_KEYS: "sha256:my-secret-typo" }).catch((e: Error) => e);
    expect((error as Error).message).not.toContain("my-secret-typo");
  });
});

describe("createGuard warns about settings that work but look wrong", () => {
  const warningsFor = async (env: Record<string, string>) => {
    const lines: string[] = [];
    await createGuard(
      parseSettings(env),
      createLogger("debug", {}, (l) => lines.push(l)),
    );
    return lines
      .map((l) => JSON.parse(l) as { level: string; msg: string })
      .filter((l) => l.level === "warn")
      .map((l) => l.msg);
  };

  test("settings the mode ignores", async () => {
    expect(await warningsFor({ AUTH_MODE: "api_key", API_KEYS: "k-0123456789abcdef", JWT_SECRET: SECRET })).toContain(
      "AUTH_MODE=api_key ignores JWT_SECRET",
    );
    expect(await warningsFor({ AUTH_MODE: "jwt", JWT_SECRET: SECRET, API_KEYS: "k" })).toContain("AUTH_MODE=jwt ignores API_KEYS");
  });

  test("a short plain API key", async () => {
    expect(await warningsFor({ AUTH_MODE: "api_key", API_KEYS: "short" })).toContain(
      "API_KEYS entry 1 is shorter than 16 characters; use long random keys",
    );
  });

  test("a JWKS that cannot be fetched at start does not stop start-up", async () => {
    const warnings = await warningsFor({ AUTH_MODE: "jwt", JWT_JWKS_URL: "http://127.0.0.1:9/jwks.json", JWT_AUDIENCE: "a" });
    expect(warnings.some((w) => w.startsWith("JWKS not loaded at start"))).toBe(true);
  });

  test("a JWKS without an audience, and one over plain http to another host", async () => {
    const warnings = await warningsFor({ AUTH_MODE: "jwt", JWT_JWKS_URL: "http://issuer.invalid/jwks.json" });
    expect(warnings.some((w) => w.includes("without JWT_AUDIENCE"))).toBe(true);
    expect(warnings.some((w) => w.startsWith("JWT_JWKS_URL is plain http"))).toBe(true);
  });
});

describe("the service's entry point", () => {
  const run = async (env: Record<string, string>) => {
    const proc = Bun.spawn(["bun", "run", "src/main.ts"], {
      cwd: `${import.meta.dir}/../..`,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", PORT: "0", HOST: "127.0.0.1", ...env },
      stdout: "pipe",
      stderr: "pipe",
    });
    const timer = setTimeout(() => proc.kill(), 10_000);
    const [exitCode, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    clearTimeout(timer);
    return { exitCode, stderr };
  };

  test("AUTH_MODE=jwt without keys exits 1 with one line", async () => {
    const { exitCode, stderr } = await run({ AUTH_MODE: "jwt" });
    expect(exitCode).toBe(1);
    expect(stderr).toBe("completion-service: AUTH_MODE=jwt needs JWT_SECRET (HS256) or JWT_JWKS_URL (RS/ES keys)\n");
  });

  test("a malformed sha256: entry exits 1 with one line", async () => {
    const { exitCode, stderr } = await run({ AUTH_MODE: "api_key", API_KEYS: "sha256:nothex" });
    expect(exitCode).toBe(1);
    expect(stderr).toBe("completion-service: API_KEYS entry 1 is malformed: expected sha256:<64 hex digits>\n");
  });
});
