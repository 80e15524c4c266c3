/** The model/provider mapping from a file, from llm-core, or the demo; validation; refresh. */
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MappingError, parseMapping } from "../../src/config/mapping";
import { fileMappingSource, llmCoreMappingSource } from "../../src/config/mapping-source";
import { parseSettings, SettingsError } from "../../src/config/settings";
import { silentLogger } from "../../src/observability/logger";
import { CompletionService } from "../../src/service";
import { startFakeUpstream, jsonResponse } from "../fakes/fake-upstream";
import { startOpenAIFake } from "../fakes/openai/openai-fake";
import { RecordingSink } from "../support/recording-sink";

const good = {
  providers: {
    "openai-main": { type: "openai", apiKey: "${OPENAI_API_KEY}" },
    "azure-eu": { type: "azure_openai", endpoint: "https://x.openai.azure.com", apiKey: "${AZURE_KEY}", apiVersion: "2024-10-21" },
    "claude-bedrock": { type: "anthropic_bedrock", region: "us-east-1", accessKeyId: "${AWS_ID}", secretAccessKey: "${AWS_SECRET}" },
  },
  models: {
    "gpt-4o": {
      strategy: "fallback",
      targets: [
        { provider: "openai-main", deploymentName: "gpt-4o-2024-08-06" },
        { provider: "azure-eu", deploymentName: "gpt4o-prod" },
      ],
    },
  },
};
const env = { OPENAI_API_KEY: "sk-secret-1", AZURE_KEY: "az-secret-2", AWS_ID: "AKIA", AWS_SECRET: "aws-secret-3" };

function problemsOf(input: unknown, e: Record<string, string> = env): string[] {
  try {
    parseMapping(input, e);
  } catch (err) {
    if (err instanceof MappingError) return err.problems;
    throw err;
  }
  return [];
}

describe("mapping validation", () => {
  test("the contract's example is valid and ${ENV} is expanded", () => {
    const m = parseMapping(good, env);
    expect(m.providers["openai-main"]!.apiKey).toBe("sk-secret-1");
    expect(m.models["gpt-4o"]!.targets[1]).toEqual({ provider: "azure-eu", deploymentName: "gpt4o-prod" });
  });

  test("a missing environment variable is named", () => {
    const { AZURE_KEY: _, ...partial } = env;
    expect(problemsOf(good, partial)).toEqual(["providers.azure-eu.apiKey: environment variable AZURE_KEY is not set"]);
  });

  test("problems name the bad path, all at once", () => {
    const bad = structuredClone(good) as any;
    bad.models["gpt-4o"].targets[1].provider = "azure-eu2";
    bad.providers["azure-eu"].endpoint = "x.openai.azure.com";
    bad.providers["openai-main"].type = "openia";
    bad.models.broken = { strategy: "random", targets: [] };
    const problems = problemsOf(bad);
    expect(problems).toContain('models.gpt-4o.targets[1].provider: unknown provider "azure-eu2"');
    expect(problems).toContain(
      "providers.openai-main.type: must be one of openai, azure_openai, azure_openai_completions, anthropic, anthropic_bedrock, google, mistral, jamba, ollama, vllm, remote_completion, mock",
    );
    expect(problems.some((p) => p.startsWith("providers.azure-eu.endpoint:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("models.broken.strategy:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("models.broken.targets:"))).toBe(true);
  });

  test("a missing required key is reported with the misspelt key beside it, never a secret value", () => {
    const bad = structuredClone(good) as any;
    bad.providers["claude-bedrock"].secretAccesKey = bad.providers["claude-bedrock"].secretAccessKey;
    delete bad.providers["claude-bedrock"].secretAccessKey;
    const problems = problemsOf(bad);
    expect(problems).toEqual([
      'providers.claude-bedrock.secretAccessKey: required with accessKeyId, or leave both out to use the AWS default credential chain (found "secretAccesKey")',
    ]);
    expect(problems.join("\n")).not.toContain("aws-secret-3");
  });
});

describe("mapping sources", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "mapping-"));
  });

  test("a file that is missing, not JSON, or invalid gives one clear line", async () => {
    const missing = fileMappingSource(join(dir, "nope.json"), env);
    await expect(missing.load()).rejects.toThrow(/cannot read mapping file .*nope\.json/);
    writeFileSync(join(dir, "bad.json"), "{ not json");
    await expect(fileMappingSource(join(dir, "bad.json"), env).load()).rejects.toThrow(/is not valid JSON/);
  });

  test("llm-core: fetched with x-api-key, retried with backoff, then a clear failure", async () => {
    let calls = 0;
    const core = await startFakeUpstream((req) => {
      calls++;
      if (calls < 3) return jsonResponse(503, { message: "starting" });
      expect(req.url).toBe("/api/v1/services-config/models-providers");
      return jsonResponse(200, good);
    });
    try {
      const source = llmCoreMappingSource({ baseUrl: core.url, apiKey: "core-key", env, backoffMs: 10, logger: silentLogger });
      const mapping = await source.load();
      expect(Object.keys(mapping.models)).toEqual(["gpt-4o"]);
      expect(calls).toBe(3);
      expect(core.requests.every((r) => r.headers["x-api-key"] === "core-key")).toBe(true);
    } finally {
      await core.close();
    }
    const unreachable = llmCoreMappingSource({ baseUrl: "http://127.0.0.1:9", env, attempts: 2, backoffMs: 10, logger: silentLogger });
    await expect(unreachable.load()).rejects.toThrow(
      /llm-core unreachable at http:\/\/127\.0\.0\.1:9\/api\/v1\/services-config\/models-providers after 2 attempts/,
    );
  });

  test("llm-core answering an invalid mapping fails at once, naming the path", async () => {
    const core = await startFakeUpstream(() =>
      jsonResponse(200, { providers: {}, models: { x: { targets: [{ provider: "ghost", deploymentName: "d" }] } } }),
    );
    try {
      const source = llmCoreMappingSource({ baseUrl: core.url, env, backoffMs: 10, logger: silentLogger });
      await expect(source.load()).rejects.toThrow('models.x.targets[0].provider: unknown provider "ghost"');
      expect(core.requests).toHaveLength(1);
    } finally {
      await core.close();
    }
  });

  test("refresh: a new mapping is picked up, a bad one is rejected and the old kept", async () => {
    const path = join(dir, "live.json");
    const mapping = (text: string) => ({
      providers: { demo: { type: "mock", text } },
      models: { demo: { targets: [{ provider: "demo", deploymentName: "demo" }] } },
    });
    writeFileSync(path, JSON.stringify(mapping("first")));
    const service = new CompletionService({
      settings: parseSettings({}),
      logger: silentLogger,
      mappingSource: fileMappingSource(path, {}),
      sink: new RecordingSink(),
    });
    await service.loadMapping();
    service.startRefresh(30);
    service.listen(0, "127.0.0.1");
    const ask = async () =>
      (
        (await (
          await fetch(`http://127.0.0.1:${service.port}/api/v1/completions`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ model: "demo", messages: [{ role: "user", content: "hi" }] }),
          })
        ).json()) as any
      ).outputText;
    try {
      expect(await ask()).toBe("first");
      writeFileSync(path, JSON.stringify(mapping("second")));
      await Bun.sleep(150);
      expect(await ask()).toBe("second");
      writeFileSync(path, JSON.stringify({ providers: {}, models: { demo: { targets: [{ provider: "gone", deploymentName: "d" }] } } }));
      await Bun.sleep(150);
      expect(await ask()).toBe("second");
      const health: any = await (await fetch(`http://127.0.0.1:${service.port}/api/v1/health`)).json();
      expect(health.checks.mapping.lastRefreshError).toContain('unknown provider "gone"');
    } finally {
      await service.stop(0);
    }
  });
});

test("refresh: a provider type the service had not loaded yet is loaded and served", async () => {
  const fake = await startOpenAIFake({ apiKey: "sk-live" });
  const dir = mkdtempSync(join(tmpdir(), "mapping-refresh-"));
  const path = join(dir, "live.json");
  const target = { targets: [{ provider: "p", deploymentName: "gpt-4o" }] };
  writeFileSync(path, JSON.stringify({ providers: { p: { type: "mock", text: "from the mock" } }, models: { m: target } }));
  const service = new CompletionService({
    settings: parseSettings({}),
    logger: silentLogger,
    mappingSource: fileMappingSource(path, {}),
    sink: new RecordingSink(),
  });
  await service.loadMapping();
  service.startRefresh(30);
  service.listen(0, "127.0.0.1");
  const ask = async () => {
    const res = await fetch(`http://127.0.0.1:${service.port}/api/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    });
    return ((await res.json()) as { outputText: string }).outputText;
  };
  try {
    expect(await ask()).toBe("from the mock");
    writeFileSync(
      path,
      JSON.stringify({ providers: { p: { type: "openai", apiKey: "sk-live", baseUrl: `${fake.url}/v1` } }, models: { m: target } }),
    );
    await Bun.sleep(150);
    expect(await ask()).toBe("Hello from the fake");
    expect(fake.requests).toHaveLength(1);
  } finally {
    await service.stop(0);
    await fake.close();
  }
});

describe("settings", () => {
  test("defaults follow the contract", () => {
    const s = parseSettings({});
    expect(s).toMatchObject({
      port: 4000,
      host: "0.0.0.0",
      configRefreshIntervalMs: 0,
      rabbitmqExchange: "llm.transactions",
      rabbitmqRoutingKey: "completion.transaction",
      eventsSpoolDir: "./var/spool",
      eventsIncludeMessages: true,
      authMode: "public",
      logLevel: "info",
      bodyLimitBytes: 10 * 1024 * 1024,
    });
  });

  test("an invalid value is named in one line", () => {
    const cases: [Record<string, string>, string][] = [
      [{ PORT: "http" }, 'PORT="http" is invalid: expected an integer from 0 to 65535'],
      [{ AUTH_MODE: "open" }, 'AUTH_MODE="open" is invalid: expected one of public, api_key, jwt, api_key_or_jwt'],
      [{ RABBITMQ_URL: "http://broker" }, "RABBITMQ_URL is invalid: expected a amqp: or amqps: URL"],
      [{ EVENTS_INCLUDE_MESSAGES: "maybe" }, 'EVENTS_INCLUDE_MESSAGES="maybe" is invalid: expected true or false'],
      [{ LOG_LEVEL: "loud" }, 'LOG_LEVEL="loud" is invalid: expected one of debug, info, warn, error'],
      [{ CONFIG_REFRESH_INTERVAL_MS: "-5" }, 'CONFIG_REFRESH_INTERVAL_MS="-5" is invalid: expected an integer from 0 to 86400000'],
    ];
    for (const [e, message] of cases) {
      expect(() => parseSettings(e)).toThrow(new SettingsError(message));
    }
  });
});

describe("start-up from the command line", () => {
  const run = (envVars: Record<string, string>) =>
    Bun.spawnSync(["bun", "run", join(import.meta.dir, "../../src/main.ts")], {
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/tmp", ...envVars },
      stdout: "pipe",
      stderr: "pipe",
      timeout: 20_000,
    });

  test("a bad env value stops start-up with one line naming it", () => {
    const r = run({ PORT: "99999" });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.toString()).toBe('completion-service: PORT="99999" is invalid: expected an integer from 0 to 65535\n');
  }, 30_000);

  test("an invalid mapping file stops start-up naming the path, without secrets", () => {
    const dir = mkdtempSync(join(tmpdir(), "mapping-cli-"));
    const path = join(dir, "m.json");
    const bad = structuredClone(good) as any;
    bad.models["gpt-4o"].targets[1].provider = "azure-eu2";
    writeFileSync(path, JSON.stringify(bad));
    const r = run({ LOCAL_MODEL_PROVIDERS_CONFIG_PATH: path, ...env });
    expect(r.exitCode).toBe(1);
    const err = r.stderr.toString();
    expect(err).toContain('models.gpt-4o.targets[1].provider: unknown provider "azure-eu2"');
    expect(err.split("\n").filter(Boolean)).toHaveLength(1);
    expect(err + r.stdout.toString()).not.toContain("sk-secret-1");
  }, 30_000);
});
