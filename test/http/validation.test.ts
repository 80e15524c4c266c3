/** The request (docs/api.md): bad input gets a 400 naming each bad field; unknown fields are errors with hints. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DEMO_MAPPING } from "../../src/config/demo-mapping";
import { startService, type Harness } from "../support/service-harness";

let svc: Harness;
beforeAll(async () => {
  svc = await startService({ mapping: DEMO_MAPPING, env: { BODY_LIMIT_BYTES: "65536" } });
});
afterAll(() => svc.stop());

const ok = { model: "demo", messages: [{ role: "user", content: "hi" }] };

async function problems(body: unknown): Promise<{ status: number; body: any }> {
  const res = await svc.post(body);
  return { status: res.status, body: await res.json() };
}

describe("request validation", () => {
  test("a valid request passes", async () => {
    const res = await svc.post({
      ...ok,
      temperature: 0.5,
      topP: 1,
      topK: 3,
      maxOutputTokens: 100,
      stop: ["x"],
      seed: 1,
      presencePenalty: 0,
      frequencyPenalty: 0,
      responseFormat: { type: "json_schema", name: "a", schema: { type: "object" }, strict: true },
      reasoningEffort: "low",
      context: { userId: "u1", conversationId: "c1" },
      messages: [
        { role: "developer", content: "be brief" },
        {
          role: "user",
          content: [
            { type: "text", text: "hi" },
            { type: "image", url: "https://example.com/a.png" },
          ],
        },
        { role: "assistant", content: null, toolCalls: [{ id: "c1", name: "t", arguments: "{}" }] },
        { role: "tool", toolCallId: "c1", content: "done" },
      ],
    });
    expect(res.status).toBe(200);
  });

  test("unknown fields are rejected with a did-you-mean hint", async () => {
    const { status, body } = await problems({
      ...ok,
      max_tokens: 10,
      top_p: 1,
      tool_choice: "auto",
      response_format: { type: "text" },
      maxTokens: 5,
      banana: 1,
    });
    expect(status).toBe(400);
    expect(body.code).toBe("invalid_request");
    expect(body.statusCode).toBe(400);
    expect(body.error).toBe("Bad Request");
    expect(body.details).toEqual(
      expect.arrayContaining([
        { field: "max_tokens", message: 'unknown field "max_tokens" — did you mean "maxOutputTokens"?' },
        { field: "top_p", message: 'unknown field "top_p" — did you mean "topP"?' },
        { field: "tool_choice", message: 'unknown field "tool_choice" — did you mean "toolChoice"?' },
        { field: "response_format", message: 'unknown field "response_format" — did you mean "responseFormat"?' },
        { field: "maxTokens", message: 'unknown field "maxTokens" — did you mean "maxOutputTokens"?' },
        { field: "banana", message: 'unknown field "banana"' },
      ]),
    );
    expect(body.details).toHaveLength(6);
  });

  test("each bad field is named, nested ones with their path", async () => {
    const { status, body } = await problems({
      model: "",
      temperature: 3,
      topK: 0.5,
      stream: "yes",
      messages: [
        { role: "user", content: [{ type: "image", url: "ftp://x" }] },
        { role: "tool", content: "x" },
        { role: "robot", content: "x" },
        { role: "assistant", toolCalls: [{ id: "1", name: "f", arguments: "{}", type: "function" }] },
        { role: "tool", tool_call_id: "1", toolCallId: "1", content: "x" },
      ],
      toolChoice: "sometimes",
      tools: [{ name: "bad name!" }],
      responseFormat: { type: "json_schema" },
    });
    expect(status).toBe(400);
    const fields = body.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        "model",
        "temperature",
        "topK",
        "stream",
        "messages[0].content[0].url",
        "messages[1].toolCallId",
        "messages[2].role",
        "messages[3].toolCalls[0].type",
        "messages[4].tool_call_id",
        "toolChoice",
        "tools[0].name",
        "responseFormat.schema",
      ]),
    );
    const byField = Object.fromEntries(body.details.map((d: { field: string; message: string }) => [d.field, d.message]));
    expect(byField["messages[0].content[0].url"]).toBe("must be an https: or data: URL");
    expect(byField["messages[1].toolCallId"]).toBe("is required");
    expect(byField["messages[4].tool_call_id"]).toBe('unknown field "tool_call_id" — did you mean "toolCallId"?');
    expect(byField.temperature).toBe("must be at most 2");
    expect(byField.topK).toBe("must be an integer");
    expect(byField.model).toBe("must not be empty");
  });

  test("missing required fields and empty messages", async () => {
    const a = await problems({});
    expect(a.body.details).toEqual([
      { field: "model", message: "is required" },
      { field: "messages", message: "is required" },
    ]);
    const b = await problems({ model: "demo", messages: [] });
    expect(b.body.details).toEqual([{ field: "messages", message: "must have at least one message" }]);
  });

  test("a body that is not JSON, or not an object", async () => {
    const a = await problems("{nope");
    expect(a.status).toBe(400);
    expect(a.body.code).toBe("invalid_request");
    const b = await problems([1, 2]);
    expect(b.status).toBe(400);
    expect(b.body.details).toEqual([{ field: "body", message: "must be a JSON object" }]);
  });

  test("both tool shapes are accepted", async () => {
    const res = await svc.post({
      ...ok,
      tools: [{ name: "a" }, { type: "function", function: { name: "b", description: "B", parameters: { type: "object" } } }],
    });
    expect(res.status).toBe(200);
    const body: any = await res.json();
    expect(body.output[0]).toMatchObject({ type: "tool_call", name: "a" });
  });

  test("an unknown model is 404 model_not_found", async () => {
    const res = await svc.post({ ...ok, model: "gpt-5x" });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      statusCode: 404,
      error: "Not Found",
      code: "model_not_found",
      message: 'model "gpt-5x" is not configured',
    });
  });

  test("a body over the limit is 413", async () => {
    const big = { ...ok, messages: [{ role: "user", content: "x".repeat(70_000) }] };
    const res = await svc.post(big);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ statusCode: 413, code: "payload_too_large" });
  });

  test("every response carries x-request-id, the client's when it sent one", async () => {
    const mine = await svc.post(ok, { headers: { "content-type": "application/json", "x-request-id": "abc-123" } });
    expect(mine.headers.get("x-request-id")).toBe("abc-123");
    const bad = await svc.post({}, { headers: { "content-type": "application/json", "x-request-id": "abc-124" } });
    expect(bad.headers.get("x-request-id")).toBe("abc-124");
    expect(((await bad.json()) as any).requestId).toBe("abc-124");
    const generated = await svc.post(ok);
    expect(generated.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const notFound = await fetch(`${svc.url}/nope`);
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get("x-request-id")).toBeTruthy();
  });
});
