/**
 * `anthropic_bedrock` without keys in the mapping takes its credentials from the AWS SDK's
 * default chain, as a deployment on AWS does (here: the process environment); half a key pair
 * is a mapping error; no credentials anywhere is a quick, clear 502.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { MappingError, parseMapping } from "../../src/config/mapping";
import { startBedrockFake } from "../fakes/bedrock/bedrock-fake";
import { withService } from "../support/provider-scenarios";
import { singleTargetMapping } from "../support/service-harness";

const REGION = "eu-west-1";
const MODEL_ID = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0";
const ENV_KEYS = { accessKeyId: "AKIAENVEXAMPLE000001", secretAccessKey: "envSecretKeyExample/K7MDENG/bPxRfiCYEXAMPLE" };
const user = [{ role: "user", content: "Hello?" }];

/** Every variable the default chain reads, so the machine running the tests cannot leak in. */
const CHAIN_VARIABLES = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_CREDENTIAL_EXPIRATION",
  "AWS_PROFILE",
  "AWS_SHARED_CREDENTIALS_FILE",
  "AWS_CONFIG_FILE",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_ROLE_ARN",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_EC2_METADATA_DISABLED",
];
let saved: Record<string, string | undefined> = {};

beforeEach(() => {
  saved = Object.fromEntries(CHAIN_VARIABLES.map((k) => [k, process.env[k]]));
  for (const k of CHAIN_VARIABLES) delete process.env[k];
  // No profile files, and never the network for instance metadata.
  process.env.AWS_SHARED_CREDENTIALS_FILE = "/nonexistent/aws/credentials";
  process.env.AWS_CONFIG_FILE = "/nonexistent/aws/config";
  process.env.AWS_EC2_METADATA_DISABLED = "true";
});

afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

function mappingWithout(endpoint: string, extra: Record<string, string> = {}) {
  return singleTargetMapping({ type: "anthropic_bedrock", region: REGION, endpoint, ...extra }, MODEL_ID, "claude");
}

describe("anthropic_bedrock: credentials from the AWS default chain", () => {
  test("no keys in the mapping: the environment's keys sign the request", async () => {
    process.env.AWS_ACCESS_KEY_ID = ENV_KEYS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = ENV_KEYS.secretAccessKey;
    const fake = await startBedrockFake({ region: REGION, credentials: ENV_KEYS });
    try {
      await withService({ mapping: mappingWithout(fake.url) }, async (svc) => {
        const res = await svc.post({ model: "claude", messages: user });
        expect(res.status).toBe(200);
        expect(((await res.json()) as any).outputText).toBe("Hello from Bedrock");
        const streamed = await svc.post({ model: "claude", messages: user, stream: true });
        expect(streamed.status).toBe(200);
        await streamed.text();
      });
      expect(fake.signatures).toHaveLength(2);
      for (const s of fake.signatures)
        expect(s).toMatchObject({ ok: true, accessKeyId: ENV_KEYS.accessKeyId, region: REGION, service: "bedrock" });
    } finally {
      await fake.close();
    }
  });

  test("temporary credentials from the environment send their session token", async () => {
    const temporary = { ...ENV_KEYS, sessionToken: "FwoGZXIvYXdzENVEXAMPLETOKEN" };
    process.env.AWS_ACCESS_KEY_ID = temporary.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = temporary.secretAccessKey;
    process.env.AWS_SESSION_TOKEN = temporary.sessionToken;
    const fake = await startBedrockFake({ region: REGION, credentials: temporary });
    try {
      await withService({ mapping: mappingWithout(fake.url) }, async (svc) => {
        expect((await svc.post({ model: "claude", messages: user })).status).toBe(200);
      });
      expect(fake.requests[0]!.headers["x-amz-security-token"]).toBe(temporary.sessionToken);
      expect(fake.signatures[0]!.ok).toBe(true);
    } finally {
      await fake.close();
    }
  });

  test("no credentials anywhere: a quick 502 that says so, and nothing sent", async () => {
    const fake = await startBedrockFake({ region: REGION, credentials: ENV_KEYS });
    try {
      await withService({ mapping: mappingWithout(fake.url) }, async (svc) => {
        for (const stream of [false, true]) {
          const started = performance.now();
          const res = await svc.post({ model: "claude", messages: user, stream });
          const body: any = await res.json();
          expect({ status: res.status, code: body.code }).toEqual({ status: 502, code: "upstream_error" });
          expect(body.message).toContain("anthropic_bedrock has no AWS credentials");
          expect(performance.now() - started).toBeLessThan(5000); // generous: it must not hang
        }
      });
      expect(fake.requests).toHaveLength(0);
    } finally {
      await fake.close();
    }
  });
});

describe("anthropic_bedrock: the mapping's keys", () => {
  const provider = (keys: Record<string, string>) => ({
    providers: { b: { type: "anthropic_bedrock", region: REGION, ...keys } },
    models: {},
  });

  test("neither key is fine (the default chain); both are fine", () => {
    expect(() => parseMapping(provider({}), {})).not.toThrow();
    expect(() => parseMapping(provider(ENV_KEYS), {})).not.toThrow();
  });

  test("one key without the other is a mapping error naming the missing one", () => {
    expect(() => parseMapping(provider({ accessKeyId: ENV_KEYS.accessKeyId }), {})).toThrow(MappingError);
    expect(() => parseMapping(provider({ accessKeyId: ENV_KEYS.accessKeyId }), {})).toThrow(
      "providers.b.secretAccessKey: required with accessKeyId",
    );
    expect(() => parseMapping(provider({ secretAccessKey: ENV_KEYS.secretAccessKey }), {})).toThrow(
      "providers.b.accessKeyId: required with secretAccessKey",
    );
    expect(() => parseMapping(provider({ sessionToken: "FwoG" }), {})).toThrow(
      "providers.b.sessionToken: only goes with accessKeyId and secretAccessKey",
    );
  });

  test("the error never echoes the key it was given", () => {
    try {
      parseMapping(provider({ secretAccessKey: ENV_KEYS.secretAccessKey }), {});
      throw new Error("no mapping error");
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(ENV_KEYS.secretAccessKey);
    }
  });
});
