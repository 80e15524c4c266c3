/** ApiKeyVerifier: plain and sha256: entries, and what is not a match. */
import { describe, expect, test } from "bun:test";
import { ApiKeyVerifier } from "../../src/auth/api-key-verifier";
import { AuthConfigError } from "../../src/auth/auth-config-error";

/** What `printf %s "$KEY" | sha256sum` prints for the key. */
async function sha256sum(key: string): Promise<string> {
  const proc = Bun.spawn(["sh", "-c", 'printf %s "$KEY" | sha256sum'], { env: { KEY: key }, stdout: "pipe" });
  return (await new Response(proc.stdout).text()).split(" ")[0]!;
}

describe("ApiKeyVerifier", () => {
  test("a sha256: entry made as the docs say matches its key", async () => {
    const key = "a-key-hashed-with-the-shell-ü";
    const keys = ApiKeyVerifier.fromEntries([`sha256:${await sha256sum(key)}`]);
    expect(keys.matches(key)).toBe(true);
    expect(keys.matches(`${key} `)).toBe(false);
  });

  test("hex digits may be upper case", async () => {
    const keys = ApiKeyVerifier.fromEntries([`sha256:${(await sha256sum("k")).toUpperCase()}`]);
    expect(keys.matches("k")).toBe(true);
  });

  test("plain and hashed entries mix; every entry matches only its own key", async () => {
    const keys = ApiKeyVerifier.fromEntries(["plain-one", `sha256:${await sha256sum("hashed-two")}`, "plain-three"]);
    expect(keys.size).toBe(3);
    for (const k of ["plain-one", "hashed-two", "plain-three"]) expect(keys.matches(k)).toBe(true);
    for (const k of ["", "plain", "plain-one-", "sha256:", "hashed-two\n"]) expect(keys.matches(k)).toBe(false);
  });

  test("a malformed sha256: entry is a config error naming its position, not its value", () => {
    for (const bad of ["sha256:", "sha256:abc", `sha256:${"g".repeat(64)}`, `sha256:${"a".repeat(63)}`, `sha256:${"a".repeat(65)}`]) {
      const attempt = () => ApiKeyVerifier.fromEntries(["fine-key", bad]);
      expect(attempt).toThrow(AuthConfigError);
      expect(attempt).toThrow("API_KEYS entry 2 is malformed: expected sha256:<64 hex digits>");
    }
  });

  test("no entries is a config error", () => {
    expect(() => ApiKeyVerifier.fromEntries([])).toThrow(AuthConfigError);
  });
});
