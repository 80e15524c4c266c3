/**
 * The OpenAPI document at /api/docs/json: well formed for 3.1, covering every route with its
 * responses, the error shape and the chunk union; and real answers of the service (JSON, every
 * chunk of streams with text and tool calls, errors, health) valid against its schemas.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import type { TSchema } from "@sinclair/typebox";
import { DEMO_MAPPING } from "../../src/config/demo-mapping";
import { CompletionRequestSchema } from "../../src/core/request";
import {
  CompletionAnswerSchema,
  ErrorSchema,
  HealthSchema,
  LiveSchema,
  ReadySchema,
  StreamChunkSchema,
  StreamChunkTypes,
} from "../../src/http/response-schemas";
import { readNdjson } from "../support/ndjson";
import { startService, type Harness } from "../support/service-harness";

let svc: Harness;
let doc: any;

beforeAll(async () => {
  svc = await startService({ mapping: DEMO_MAPPING });
  const res = await fetch(`${svc.url}/api/docs/json`);
  expect(res.status).toBe(200);
  doc = await res.json();
}, 30_000);
afterAll(() => svc.stop());

/** The document's schema, as served, resolving one level of $ref. */
function served(schema: any): any {
  return schema.$ref ? doc.components.schemas[schema.$ref.replace("#/components/schemas/", "")] : schema;
}

/** TypeBox keeps its own markers in symbols: compare the schemas as JSON. */
const asJson = (schema: unknown) => JSON.parse(JSON.stringify(schema));

test("an OpenAPI 3.1 document describing the service", () => {
  expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
  expect(doc.info).toMatchObject({ title: "Completion Service", version: expect.any(String) });
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const [method, operation] of Object.entries<any>(item)) {
      expect({ path, method, operationId: typeof operation.operationId }).toEqual({ path, method, operationId: "string" });
      expect(Object.keys(operation.responses ?? {}).length).toBeGreaterThan(0);
      for (const response of Object.values<any>(operation.responses)) {
        expect(typeof response.description).toBe("string");
        for (const media of Object.values<any>(response.content ?? {})) {
          if (media.schema.$ref) expect(served(media.schema)).toBeDefined();
        }
      }
    }
  }
  const ids = Object.values<any>(doc.paths).flatMap((item) => Object.values<any>(item).map((o) => o.operationId));
  expect(new Set(ids).size).toBe(ids.length);
});

test("every route of the service is documented, with its responses", () => {
  // The docs themselves aside, and the OpenAI/Anthropic-compatible routes (/v1/…), whose documents are those APIs' own.
  const routes = svc.service.app.routes
    .filter((r: { path: string }) => !r.path.startsWith("/api/docs") && !r.path.startsWith("/v1/"))
    .map((r: { method: string; path: string }) => `${r.method.toLowerCase()} ${r.path}`)
    .sort();
  const documented = Object.entries<any>(doc.paths)
    .flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`))
    .sort();
  expect(documented).toEqual(routes);
  expect(routes).toEqual([
    "get /api/v1/health",
    "get /api/v1/health/live",
    "get /api/v1/health/ready",
    "get /api/v1/limits",
    "get /metrics",
    "post /api/v1/completions",
  ]);
  const completions = doc.paths["/api/v1/completions"].post;
  expect(Object.keys(completions.responses).sort()).toEqual(["200", "400", "401", "404", "413", "429", "500", "502", "503", "504"]);
  expect(Object.keys(completions.responses["200"].content).sort()).toEqual(["application/json", "application/x-ndjson"]);
});

test("the request schema is the one the route validates with; answers, chunks and errors are the response schemas", () => {
  const completions = doc.paths["/api/v1/completions"].post;
  expect(served(completions.requestBody.content["application/json"].schema)).toEqual(asJson(CompletionRequestSchema));
  const ok = completions.responses["200"].content;
  expect(served(ok["application/json"].schema)).toEqual(asJson(CompletionAnswerSchema));
  expect(served(ok["application/x-ndjson"].schema)).toEqual(asJson(StreamChunkSchema));
  for (const status of ["400", "401", "404", "413", "429", "500", "502", "503", "504"]) {
    expect(served(completions.responses[status].content["application/json"].schema)).toEqual(asJson(ErrorSchema));
  }
});

test("the chunk union is a oneOf told apart by type, one branch per chunk type", () => {
  const chunk = served(doc.paths["/api/v1/completions"].post.responses["200"].content["application/x-ndjson"].schema);
  expect(chunk.discriminator).toEqual({ propertyName: "type" });
  const types = chunk.oneOf.map((branch: any) => branch.properties.type.const);
  expect(types.sort()).toEqual([...StreamChunkTypes].sort());
  expect(types).toEqual(
    expect.arrayContaining([
      "text_delta_start",
      "text_delta",
      "text_delta_end",
      "tool_call_start",
      "tool_call_delta",
      "tool_call_end",
      "usage",
      "finish",
      "error",
    ]),
  );
});

function expectValid(schema: TSchema, value: unknown): void {
  const errors = [...Value.Errors(schema, value)].map((e) => `${e.path}: ${e.message}`);
  expect({ value, errors }).toEqual({ value, errors: [] });
}

/** StreamChunkSchema is a raw oneOf (TypeBox checks its own kinds): check a chunk against its branch. */
function expectValidChunk(chunk: { type: string }): void {
  const branch = (StreamChunkSchema as any).oneOf.filter((b: TSchema) => Value.Check(b, chunk));
  expect({ chunk, branches: branch.length }).toEqual({ chunk, branches: 1 });
}

test("real answers validate: JSON, streamed text and tool calls, errors, health", async () => {
  const messages = [{ role: "user", content: "hi" }];
  expectValid(CompletionAnswerSchema, await (await svc.post({ model: "demo", messages })).json());
  expectValid(CompletionAnswerSchema, await (await svc.post({ model: "demo", messages, tools: [{ name: "lookup" }] })).json());

  const seen = new Set<string>();
  for (const body of [
    { model: "demo", messages, stream: true },
    { model: "demo", messages, stream: true, tools: [{ name: "lookup" }] },
  ]) {
    for (const chunk of await readNdjson(await svc.post(body))) {
      expectValidChunk(chunk);
      seen.add(chunk.type);
    }
  }
  expect([...seen]).toEqual(
    expect.arrayContaining(["text_delta_start", "text_delta_end", "tool_call_start", "tool_call_end", "usage", "finish"]),
  );

  for (const [body, status] of [
    [{ model: "demo" }, 400],
    [{ model: "nope", messages }, 404],
    ["{not json", 400],
  ] as const) {
    const res = await svc.post(body);
    expect(res.status).toBe(status);
    expectValid(ErrorSchema, await res.json());
  }
  expectValid(HealthSchema, await (await fetch(`${svc.url}/api/v1/health`)).json());
  expectValid(LiveSchema, await (await fetch(`${svc.url}/api/v1/health/live`)).json());
  expectValid(ReadySchema, await (await fetch(`${svc.url}/api/v1/health/ready`)).json());
}, 30_000);

test("a readable page at /api/docs points at the document, every time it is asked for", async () => {
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${svc.url}/api/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    expect(html).toContain("Completion Service");
    expect(html).toContain("docs/json");
  }
});
