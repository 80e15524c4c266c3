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
import type { Logger } from "../observability/logger";
import type { Authenticate } from "./authenticate-request";

/** One message for every failure: which part failed is the operator's business (debug log). */
export const UNAUTHORIZED_MESSAGE = "missing or invalid credentials";

export function authGuard(authenticate: Authenticate, logger: Logger) {
  return new Elysia().derive({ as: "scoped" }, async (ctx) => {
    const verdict = await authenticate(ctx.request.headers);
    if (verdict.ok) return { auth: verdict.auth };
    const log = (ctx as { log?: Logger }).log ?? logger;
    log.debug("request rejected: unauthorized", { reason: verdict.reason });
    throw new GatewayError("unauthorized", UNAUTHORIZED_MESSAGE);
  });
}

export type AuthGuard = ReturnType<typeof authGuard>;
