/**
 * The mapping belongs to llm-core (or a file someone else edits): fields the gateway does not
 * know are ignored with one warning, real problems are named once each, failures say what
 * failed, and health tells when the mapping is stale or empty.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MappingError, parseMapping } from "../../src/config/mapping";
import { fileMappingSource, llmCoreMappingSource } from "../../src/config/mapping-source";
import { parseSettings } from "../../src/config/settings";
import { createLogger, silentLogger } from "../../src/observability/logger";
import { CompletionService } from "../../src/service";
import { RecordingSink } from "../support/recording-sink";
import { startFakeUpstream, jsonResponse, type ScriptedResponse } from "../fakes/fake-upstream";
import { runMain, runMainToExit } from "./run-main";

const mockMapping = (text = "hello") => ({
  providers: { demo: { type: "mock", text } },
  models: { demo: { targets: [{ provider: "demo", deploymentName: "demo" }] } },
});

/** What a newer llm-core might send: fields this gateway has never heard of, and two near misses. */
const newerMapping = {
  version: 7,
  providers: {
    demo: { type: "mock", text: "hello", region_hint: "eu" },
    openai: { type: "openai", apiKey: "sk-1", base_url: "https://proxy.example/v1" },
  },
  models: {
    demo: { displayName: "Demo", targets: [{ provider: "demo", deploymentName: "demo", priority: 1 }] },
  },
};

function problemsOf(input: unknown, env: Record<string, string> = {}): string[] {
  try {
    parseMapping(input, env);
  } catch (err) {
    if (err instanceof MappingError) return err.problems;
    throw err;
  }
  return [];
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mapping-outside-"));
});

describe("unknown fields", () => {
  test("are left out and listed, with a hint for a near miss", () => {
    const m = parseMapping(newerMapping, {});
    expect(m.ignoredFields).toEqual([
      "version",
      "providers.demo.region_hint",
      'providers.openai.base_url (did you mean "baseUrl"?)',
      "models.demo.displayName",
      "models.demo.targets[0].priority",
    ]);
    expect(m.providers.demo).toEqual({ type: "mock", text: "hello" });
    expect(m.models.demo!.targets).toEqual([{ provider: "demo", deploymentName: "demo" }]);
  });

  test("a missing required field stays fatal, reported once, pointing at the near miss", () => {
    const problems = problemsOf({ providers: { o: { type: "openai", api_key: "sk-1" } }, models: {} });
    expect(problems).toEqual(['providers.o.apiKey: required field missing (found "api_key")']);
  });

  test("a wrong type is one problem, not two", () => {
    const problems = problemsOf({ providers: { o: { type: "openai", apiKey: 5, timeoutMs: "soon" } }, models: {} });
    expect(problems.sort()).toEqual(["providers.o.apiKey: expected string", "providers.o.timeoutMs: expected integer"]);
  });

  test("the service starts on a newer llm-core's mapping and logs one warning naming every unknown field", async () => {
    const core = await startFakeUpstream(() => jsonResponse(200, newerMapping));
    const svc = await runMain({ LLM_CORE_URL: core.url });
    try {
      const health: any = await (await fetch(`${svc.url}/api/v1/health`)).json();
      expect(health.status).toBe("ok");
      const res = await fetch(`${svc.url}/api/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "demo", messages: [{ role: "user", content: "hi" }] }),
      });
      expect(((await res.json()) as any).outputText).toBe("hello");
      const warnings = svc.logs().filter((l) => l.level === "warn" && /unknown field/.test(l.msg));
      expect(warnings).toHaveLength(1);
      for (const name of ["version", "region_hint", "base_url", '"baseUrl"', "displayName", "priority"])
        expect(warnings[0]!.msg).toContain(name);
    } finally {
      await svc.stop();
      await core.close();
    }
  }, 30_000);
});

test("on refresh, unknown fields are warned about once, and again only when they change", async () => {
  const path = join(dir, "refreshed.json");
  writeFileSync(path, JSON.stringify({ ...mockMapping(), owner: "llm-core" }));
  const lines: string[] = [];
  const service = new CompletionService({
    settings: parseSettings({}),
    logger: createLogger("info", {}, (line) => lines.push(line)),
    mappingSource: fileMappingSource(path, {}),
    sink: new RecordingSink(),
  });
  const warnings = () => lines.map((l) => JSON.parse(l)).filter((l) => l.level === "warn" && /unknown field/.test(l.msg));
  try {
    await service.loadMapping();
    service.startRefresh(20);
    await Bun.sleep(150);
    expect(warnings().map((w) => w.msg)).toEqual(["model mapping: ignoring unknown fields owner"]);
    writeFileSync(path, JSON.stringify({ ...mockMapping(), owner: "llm-core", revision: 2 }));
    await Bun.sleep(150);
    expect(warnings().map((w) => w.msg)).toEqual([
      "model mapping: ignoring unknown fields owner",
      "model mapping: ignoring unknown fields owner, revision",
    ]);
  } finally {
    await service.stop(0);
  }
});

describe("what a failure says", () => {
  test("a file that is not JSON names the line and column", async () => {
    const path = join(dir, "broken.json");
    writeFileSync(path, '{\n  "providers": {},\n  "models": { "a": [1, 2,] }\n}\n');
    await expect(fileMappingSource(path, {}).load()).rejects.toThrow(/is not valid JSON: line 3, column 26/);
  });

  test("a file that is JSON but no mapping says so", async () => {
    const path = join(dir, "list.json");
    writeFileSync(path, "[1, 2]");
    await expect(fileMappingSource(path, {}).load()).rejects.toThrow(
      /is not a model mapping: expected an object with "providers" and "models", found a list/,
    );
  });

  test("llm-core answering HTML, an error object, or 503 is not called unreachable nor an invalid mapping", async () => {
    const answers: Array<[() => ScriptedResponse, RegExp]> = [
      [
        () => ({ headers: { "content-type": "text/html" }, body: "<html>Bad gateway</html>" }),
        /answered HTTP 200 with a body that is not JSON \(text\/html\)/,
      ],
      [() => jsonResponse(200, { error: "unauthorized" }), /answered JSON that is not a model mapping: .* found an object with "error"/],
      [() => jsonResponse(503, { message: "starting" }), /answered HTTP 503 to 2 attempts/],
    ];
    for (const [answer, expected] of answers) {
      const core = await startFakeUpstream(answer);
      try {
        const source = llmCoreMappingSource({ baseUrl: core.url, env: {}, attempts: 2, backoffMs: 5, logger: silentLogger });
        const error = await source.load().then(
          () => null,
          (e: Error) => e,
        );
        expect(error?.message).toMatch(expected);
        expect(error?.message).not.toContain("unreachable");
      } finally {
        await core.close();
      }
    }
  });

  test("at start-up, an answer that is no mapping is not reported as an invalid mapping", async () => {
    const core = await startFakeUpstream(() => ({ headers: { "content-type": "text/html" }, body: "<html>login</html>" }));
    try {
      const r = await runMainToExit({ LLM_CORE_URL: core.url });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain("is not JSON");
      expect(r.stderr).not.toContain("invalid model mapping");
      expect(r.stderr).not.toContain("unreachable");
    } finally {
      await core.close();
    }
  }, 30_000);
});

describe("${VAR:-default}", () => {
  const mapping = {
    providers: { o: { type: "openai", apiKey: "${KEY}", baseUrl: "${OPENAI_BASE:-https://api.openai.com/v1}" } },
    models: {},
  };
  test("the default applies when the variable is unset or empty, like a shell", () => {
    expect(parseMapping(mapping, { KEY: "k" }).providers.o!.baseUrl).toBe("https://api.openai.com/v1");
    expect(parseMapping(mapping, { KEY: "k", OPENAI_BASE: "" }).providers.o!.baseUrl).toBe("https://api.openai.com/v1");
    expect(parseMapping(mapping, { KEY: "k", OPENAI_BASE: "https://proxy/v1" }).providers.o!.baseUrl).toBe("https://proxy/v1");
  });
  test("a plain ${VAR} that is missing stays an error naming it", () => {
    expect(problemsOf(mapping, {})).toEqual(["providers.o.apiKey: environment variable KEY is not set"]);
  });
});

describe("which source", () => {
  test("with a file and LLM_CORE_URL both set, the file is used and the log says LLM_CORE_URL is ignored", async () => {
    const path = join(dir, "both.json");
    writeFileSync(path, JSON.stringify(mockMapping("from the file")));
    const svc = await runMain({ LOCAL_MODEL_PROVIDERS_CONFIG_PATH: path, LLM_CORE_URL: "http://127.0.0.1:9" });
    try {
      const logs = svc.logs();
      expect(logs.some((l) => l.level === "warn" && /LLM_CORE_URL is ignored/.test(l.msg) && /read from the file/.test(l.msg))).toBe(true);
      expect(logs.find((l) => l.msg === "model mapping loaded")?.source).toBe(`file ${path}`);
    } finally {
      await svc.stop();
    }
  }, 30_000);

  test("with no source, the demo mapping is served and a warning says how to configure one", async () => {
    const svc = await runMain({});
    try {
      const warning = svc.logs().find((l) => l.level === "warn" && /demo mapping/.test(l.msg));
      expect(warning?.msg).toContain("LOCAL_MODEL_PROVIDERS_CONFIG_PATH");
      expect(warning?.msg).toContain("LLM_CORE_URL");
    } finally {
      await svc.stop();
    }
  }, 30_000);
});

describe("health of the mapping", () => {
  test("degraded, since when and why, while refreshes keep failing; ok again after a good one", async () => {
    const path = join(dir, "live.json");
    writeFileSync(path, JSON.stringify(mockMapping()));
    const svc = await runMain({ LOCAL_MODEL_PROVIDERS_CONFIG_PATH: path, CONFIG_REFRESH_INTERVAL_MS: "40" });
    const health = async () => (await (await fetch(`${svc.url}/api/v1/health`)).json()) as any;
    try {
      expect((await health()).checks.mapping.status).toBe("ok");
      writeFileSync(path, "{ broken");
      await Bun.sleep(200);
      const bad = await health();
      expect(bad.status).toBe("degraded");
      expect(bad.checks.mapping.status).toBe("degraded");
      expect(bad.checks.mapping.lastRefreshError).toContain("is not valid JSON: line 1, column 3");
      expect(Date.parse(bad.checks.mapping.failingSince)).toBeGreaterThan(Date.now() - 10_000);
      expect(bad.checks.mapping.reason).toMatch(/has failed \d+ time\(s\) since/);
      writeFileSync(path, JSON.stringify(mockMapping()));
      await Bun.sleep(200);
      const again = await health();
      expect(again.status).toBe("ok");
      expect(again.checks.mapping.failingSince).toBeUndefined();
    } finally {
      await svc.stop();
    }
  }, 30_000);

  test("a mapping with no models is degraded", async () => {
    const path = join(dir, "empty.json");
    writeFileSync(path, JSON.stringify({ providers: {}, models: {} }));
    const svc = await runMain({ LOCAL_MODEL_PROVIDERS_CONFIG_PATH: path });
    try {
      const h: any = await (await fetch(`${svc.url}/api/v1/health`)).json();
      expect(h.status).toBe("degraded");
      expect(h.checks.mapping).toMatchObject({ status: "degraded", models: 0 });
      expect(h.checks.mapping.reason).toContain("no models");
    } finally {
      await svc.stop();
    }
  }, 30_000);
});

afterAll(() => {});
