/**
 * Per-request id and logger, `x-request-id` on every response, and every error in the
 * service's shape (docs/api.md, "Errors") — never Elysia's default.
 */
import { Elysia } from "elysia";
import { GatewayError } from "../core/errors";
import type { Logger } from "../observability/logger";
import { invalidRequest } from "./request-problems";

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const requestIds = new WeakMap<Request, string>();

/**
 * The request's id: the client's `x-request-id` when it is 1–128 of `[\w.:-]`, else a new UUID —
 * the same one on every path of one request (answer, error, log lines), never the raw header.
 */
export function requestIdOf(request: Request): string {
  let id = requestIds.get(request);
  if (id === undefined) {
    const given = request.headers.get("x-request-id");
    id = given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    requestIds.set(request, id);
  }
  return id;
}

export function errorResponse(error: GatewayError, requestId: string): Response {
  const headers: Record<string, string> = { "content-type": "application/json", "x-request-id": requestId };
  if (error.retryAfter !== undefined && error.status === 429) headers["retry-after"] = String(error.retryAfter);
  if (error.headers) Object.assign(headers, error.headers);
  // RFC 9110 §15.5.2: a 401 names the scheme it wants; one value whatever failed, so a caller learns nothing.
  if (error.status === 401) headers["www-authenticate"] = "Bearer";
  return new Response(JSON.stringify(error.body(requestId)), { status: error.status, headers });
}

/** What every request's context holds, from the derive below (a type: Elysia wants a plain record). */
export type RequestContextFields = {
  requestId: string;
  /** `performance.now()` when the request arrived. */
  receivedAt: number;
  /** The service's logger with the request id on every line. */
  log: Logger;
};

/**
 * The plugin, named so that Elysia registers it once however many plugins `.use()` it: a route
 * that relies on `requestId` and `log` uses it to have them typed, and its derive still runs once
 * per request (with the logger of the instance the app used first).
 */
export function requestContext(logger: Logger) {
  return new Elysia({ name: "request-context" })
    .derive({ as: "global" }, ({ request }): RequestContextFields => {
      const requestId = requestIdOf(request);
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
      // An error may come before the derive ran (no route, a body refused while parsing).
      const requestId = (ctx as { requestId?: string }).requestId ?? requestIdOf(request);
      let gatewayError: GatewayError;
      if (error instanceof GatewayError) gatewayError = error;
      // Elysia wraps whatever a parse hook throws (our 413 and depth errors) in its ParseError.
      else if (code === "PARSE" && (error as Error).cause instanceof GatewayError) gatewayError = (error as Error).cause as GatewayError;
      else if (code === "VALIDATION") {
        gatewayError = invalidRequest((ctx as { body?: unknown }).body ?? (error as { value?: unknown }).value);
      } else if (code === "PARSE") {
        gatewayError = new GatewayError("invalid_request", "request body is not valid JSON", {
          details: [{ field: "body", message: "must be valid JSON" }],
        });
      } else if (code === "NOT_FOUND") {
        const path = new URL(request.url).pathname;
        gatewayError = new GatewayError(
          "not_found",
          `no route for ${request.method.slice(0, 16)} ${path.length > 200 ? `${path.slice(0, 200)}…` : path}`,
        );
      } else {
        logger.error("unhandled error", { requestId, error });
        gatewayError = new GatewayError("internal_error", "internal error");
      }
      return errorResponse(gatewayError, requestId);
    });
}

export type RequestContext = ReturnType<typeof requestContext>;
