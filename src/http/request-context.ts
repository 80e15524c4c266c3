/**
 * Per-request id and logger, `x-request-id` on every response, and every error in the
 * contract's shape (CONTRACT §2, "Errors") — never Elysia's default.
 */
import { Elysia } from "elysia";
import { GatewayError } from "../core/errors";
import type { Logger } from "../observability/logger";
import { explainRequestProblems } from "./request-problems";

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export function errorResponse(error: GatewayError, requestId: string): Response {
  const headers: Record<string, string> = { "content-type": "application/json", "x-request-id": requestId };
  if (error.retryAfter !== undefined && error.status === 429) headers["retry-after"] = String(error.retryAfter);
  if (error.headers) Object.assign(headers, error.headers);
  // RFC 9110 §15.5.2: a 401 names the scheme it wants; one value whatever failed (CONTRACT §6).
  if (error.status === 401) headers["www-authenticate"] = "Bearer";
  return new Response(JSON.stringify(error.body(requestId)), { status: error.status, headers });
}

export function requestContext(logger: Logger) {
  return new Elysia({ name: "request-context" })
    .derive({ as: "global" }, ({ request }) => {
      const given = request.headers.get("x-request-id");
      const requestId = given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
      return { requestId, receivedAt: performance.now(), log: logger.child({ requestId }) };
    })
    .onAfterHandle({ as: "global" }, ({ set, requestId, responseValue }) => {
      // A Response of ours carries the header already; adding it to `set.headers` would make
      // Elysia copy every such Response (new Headers, new Response) to merge it in.
      if (responseValue instanceof Response && responseValue.headers.has("x-request-id")) return;
      set.headers["x-request-id"] = requestId;
    })
    .onError({ as: "global" }, (ctx) => {
      const { code, error, request } = ctx;
      const requestId =
        (ctx as { requestId?: string }).requestId ?? request.headers.get("x-request-id") ?? crypto.randomUUID();
      let gatewayError: GatewayError;
      if (error instanceof GatewayError) gatewayError = error;
      else if (code === "VALIDATION") {
        const value = (ctx as { body?: unknown }).body ?? (error as { value?: unknown }).value;
        const details = explainRequestProblems(value);
        gatewayError = new GatewayError(
          "invalid_request",
          details.length ? details.map((d) => `${d.field}: ${d.message}`).join("; ") : "request body does not match the contract",
          { details },
        );
      } else if (code === "PARSE") {
        gatewayError = new GatewayError("invalid_request", "request body is not valid JSON", {
          details: [{ field: "body", message: "must be valid JSON" }],
        });
      } else if (code === "NOT_FOUND") {
        gatewayError = new GatewayError("not_found", `no route for ${request.method} ${new URL(request.url).pathname}`);
      } else {
        logger.error("unhandled error", { requestId, error });
        gatewayError = new GatewayError("internal_error", "internal error");
      }
      return errorResponse(gatewayError, requestId);
    });
}
