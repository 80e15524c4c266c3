/** GET /v1/models and /v1/models/{id}: the models of the current mapping, in OpenAI's list shape. */
import { Elysia } from "elysia";
import { GatewayError } from "../../core/errors";
import { jsonResponse } from "../front-door";
import type { RequestContext } from "../request-context";

export interface OpenAIModelsOptions {
  context: RequestContext;
  /** The model names of the mapping now; throws (503) while none is loaded. */
  models(): string[];
}

/** The mapping has no creation date or owner per model: a fixed epoch and the service's name. */
function model(id: string) {
  return { id, object: "model", created: 0, owned_by: "completion-service" };
}

export function openAIModelsRoute(options: OpenAIModelsOptions) {
  return new Elysia({ name: "openai-models-route" })
    .use(options.context)
    .get("/v1/models", (ctx) => jsonResponse({ object: "list", data: options.models().map(model) }, ctx.requestId))
    .get("/v1/models/*", (ctx) => {
      const id = decodeURIComponent(new URL(ctx.request.url).pathname.slice("/v1/models/".length));
      if (!options.models().includes(id)) throw new GatewayError("model_not_found", `model "${id}" is not configured`);
      return jsonResponse(model(id), ctx.requestId);
    });
}
