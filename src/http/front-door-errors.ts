/**
 * Errors under the front doors' paths in their API's own shape, so each SDK raises its own
 * exception classes. Registered before the request context: Elysia asks error hooks in the order
 * they were added, and this one answers only for `/v1/…` (everything else falls through to ours).
 * It covers what the doors' handlers throw, the auth guard's 401 and unknown `/v1/` routes.
 */
import { Elysia } from "elysia";
import { GatewayError } from "../core/errors";
import type { Logger } from "../observability/logger";
import { anthropicErrorResponse } from "./anthropic/anthropic-error";
import { openAIErrorResponse } from "./openai/openai-error";

export function frontDoorErrors(logger: Logger) {
  return new Elysia({ name: "front-door-errors" }).onError({ as: "global" }, (ctx) => {
    const { code, error, request } = ctx;
    const path = new URL(request.url).pathname;
    if (!path.startsWith("/v1/")) return;
    const requestId = (ctx as { requestId?: string }).requestId ?? request.headers.get("x-request-id") ?? crypto.randomUUID();
    let gatewayError: GatewayError;
    if (error instanceof GatewayError) gatewayError = error;
    else if (code === "NOT_FOUND") gatewayError = new GatewayError("not_found", `no route for ${request.method} ${path}`);
    else {
      logger.error("unhandled error", { requestId, error });
      gatewayError = new GatewayError("internal_error", "internal error");
    }
    return path.startsWith("/v1/messages") ? anthropicErrorResponse(gatewayError, requestId) : openAIErrorResponse(gatewayError, requestId);
  });
}
