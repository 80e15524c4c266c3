/** routeFailure: the status of a request no target answered. */
import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../src/core/errors";
import { routeFailure } from "../../src/routing/route-failure";

const a = { key: "a/x", providerId: "a", providerType: "openai", deploymentName: "x" };
const b = { key: "b/y", providerId: "b", providerType: "openai", deploymentName: "y" };
const limited = (s?: number) => new GatewayError("rate_limited", "rate limit", { retryable: true, retryAfter: s });
const timeout = new GatewayError("upstream_timeout", "timed out", { retryable: true });
const failed = new GatewayError("upstream_error", "HTTP 500", { retryable: true });

describe("routeFailure", () => {
  test("nothing tried: 503 naming the open circuits", () => {
    const e = routeFailure("m", [], [a, b]);
    expect(e.status).toBe(503);
    expect(e.message).toContain("a/x, b/y");
  });

  test("one target: its own error", () => {
    const last = limited(7);
    expect(
      routeFailure(
        "m",
        [
          { target: a, error: failed },
          { target: a, error: last },
        ],
        [],
      ),
    ).toBe(last);
  });

  test("every target rate-limited: 429 with the soonest Retry-After", () => {
    const e = routeFailure(
      "m",
      [
        { target: a, error: limited(20) },
        { target: b, error: limited(3) },
        { target: b, error: limited(5) },
      ],
      [],
    );
    expect(e.status).toBe(429);
    expect(e.retryAfter).toBe(5);
  });

  test("the last outcome of each target counts", () => {
    const e = routeFailure(
      "m",
      [
        { target: a, error: failed },
        { target: a, error: timeout },
        { target: b, error: timeout },
      ],
      [],
    );
    expect(e).toMatchObject({ status: 504, code: "upstream_timeout" });
  });

  test("mixed: 502 naming each target's outcome; skipped targets do not count", () => {
    const e = routeFailure(
      "m",
      [
        { target: a, error: limited(1) },
        { target: b, error: timeout },
      ],
      [],
    );
    expect(e).toMatchObject({ status: 502, code: "upstream_error" });
    expect(e.message).toContain("a/x: rate_limited");
    expect(e.message).toContain("b/y: upstream_timeout");
    expect(routeFailure("m", [{ target: b, error: limited(1) }], [a]).status).toBe(429);
  });
});
