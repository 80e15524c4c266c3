/**
 * The Elysia plugin that guards the completions route (docs/auth.md) and puts `auth` on its
 * context for the usage event.
 *
 * The check is a `derive` rather than a `beforeHandle`: Elysia runs derives before body
 * validation and `beforeHandle` after it, so a guard in `beforeHandle` would answer an
 * unauthenticated client's bad body with a 400 listing the contract's fields. (Body *parsing*
 * comes before both: malformed JSON still gets its 400.)
 *
 * Scoped: it applies to the routes its parent registers after `.use()`-ing it — the
 * completions route — and not to health and metrics, registered before.
 */
import { Elysia } from "elysia";
import { GatewayError } from "../core/errors";
import { requestContext } from "../http/request-context";
import type { Logger } from "../observability/logger";
import type { UsageAuth } from "../usage/usage-event";
import type { Authenticate } from "./authenticate-request";

/** One message for every failure: which part failed is the operator's business (debug log). */
export const UNAUTHORIZED_MESSAGE = "missing or invalid credentials";

/** What a guard puts on the context: who called, or null when no auth is configured. */
export type AuthFields = {
  auth: UsageAuth | null;
};

const NO_AUTH: AuthFields = { auth: null };

/**
 * Named, so that a route may `.use()` the guard the app uses (to have `auth` typed) and it still
 * runs once per request; an app has one guard. It uses the request context for its `log`,
 * registered once the same way.
 */
function guardPlugin(logger: Logger) {
  return new Elysia({ name: "auth-guard" }).use(requestContext(logger));
}

export function authGuard(authenticate: Authenticate, logger: Logger) {
  return guardPlugin(logger).derive({ as: "scoped" }, async ({ request, log }): Promise<AuthFields> => {
    const verdict = await authenticate(request.headers);
    if (verdict.ok) return { auth: verdict.auth };
    log.debug("request rejected: unauthorized", { reason: verdict.reason });
    throw new GatewayError("unauthorized", UNAUTHORIZED_MESSAGE);
  });
}

/** AUTH_MODE=public: every caller is served; the usage event has no `auth`. */
export function noAuthGuard(logger: Logger): AuthGuard {
  return guardPlugin(logger).derive({ as: "scoped" }, (): AuthFields => NO_AUTH);
}

export type AuthGuard = ReturnType<typeof authGuard>;
