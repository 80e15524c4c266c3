/**
 * GET /api/v1/limits: the authenticated caller's own limits and what is left of them, guarded like
 * the completions route. With `perUser`, `?userId=` names the user whose counters to show.
 */
import { Elysia } from "elysia";
import { GatewayError } from "../core/errors";
import type { UsageAuth } from "../usage/usage-event";
import type { RateLimiter } from "./rate-limiter";

export function limitsRoute(limiter: () => RateLimiter | null) {
  return new Elysia({ name: "limits-route" }).get("/api/v1/limits", async (ctx) => {
    const auth = (ctx as unknown as { auth?: UsageAuth | null }).auth ?? null;
    const requestId = (ctx as unknown as { requestId: string }).requestId;
    const limits = limiter();
    if (!limits) throw new GatewayError("not_found", "no rate limits are configured");
    const userId = new URL(ctx.request.url).searchParams.get("userId");
    const standing = await limits.standing(auth, userId ? { userId } : null);
    return new Response(JSON.stringify(standing), {
      headers: { "content-type": "application/json", "x-request-id": requestId, "cache-control": "no-store" },
    });
  });
}
