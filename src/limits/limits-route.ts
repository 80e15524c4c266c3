/**
 * GET /api/v1/limits: the authenticated caller's own limits and what is left of them, guarded like
 * the completions route. With `perUser`, `?userId=` names the user whose counters to show.
 */
import { Elysia } from "elysia";
import { GatewayError } from "../core/errors";
import type { AuthGuard } from "../auth/auth-guard";
import type { RequestContext } from "../http/request-context";
import type { RateLimiter } from "./rate-limiter";

export interface LimitsRouteOptions {
  /** The app's request context and auth guard: used here too, so that their fields are typed. */
  context: RequestContext;
  guard: AuthGuard;
  limiter(): RateLimiter | null;
}

export function limitsRoute(options: LimitsRouteOptions) {
  return new Elysia({ name: "limits-route" })
    .use(options.context)
    .use(options.guard)
    .get("/api/v1/limits", async (ctx) => {
      const { auth, requestId } = ctx;
      const limits = options.limiter();
      if (!limits) throw new GatewayError("not_found", "no rate limits are configured");
      const userId = new URL(ctx.request.url).searchParams.get("userId");
      const standing = await limits.standing(auth, userId ? { userId } : null);
      return new Response(JSON.stringify(standing), {
        headers: { "content-type": "application/json", "x-request-id": requestId, "cache-control": "no-store" },
      });
    });
}
