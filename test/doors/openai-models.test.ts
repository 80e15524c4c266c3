/** GET /v1/models through the official `openai` client: the models of the mapping, in OpenAI's list shape. */
import { expect, test } from "bun:test";
import OpenAI from "openai";
import { serviceOverThreeFamilies } from "./door-services";

const running = serviceOverThreeFamilies();
const client = () => new OpenAI({ baseURL: `${running().svc.url}/v1`, apiKey: "unused-in-public-mode", maxRetries: 0 });

test("models.list pages through the mapping's models", async () => {
  const ids: string[] = [];
  for await (const model of client().models.list()) {
    expect(model).toMatchObject({ object: "model", owned_by: "completion-service" });
    ids.push(model.id);
  }
  expect(ids.sort()).toEqual(["claude", "gemini", "gpt"]);
});

test("models.retrieve answers a configured model", async () => {
  expect(await client().models.retrieve("claude")).toEqual({ id: "claude", object: "model", created: 0, owned_by: "completion-service" });
});

test("an unknown model is a NotFoundError with OpenAI's error body", async () => {
  const error = await client()
    .models.retrieve("gpt-5-ultra")
    .catch((e) => e);
  expect(error).toBeInstanceOf(OpenAI.NotFoundError);
  expect(error.error).toMatchObject({
    type: "invalid_request_error",
    code: "model_not_found",
    message: 'model "gpt-5-ultra" is not configured',
  });
});

test("an unknown path under /v1 is a 404 in OpenAI's shape too", async () => {
  const res = await fetch(`${running().svc.url}/v1/embeddings`, { method: "POST", body: "{}" });
  expect(res.status).toBe(404);
  expect(await res.json()).toMatchObject({ error: { type: "invalid_request_error", code: "not_found" } });
});
