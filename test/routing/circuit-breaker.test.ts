/** CircuitBreaker(s): threshold, cool-down, a single half-open probe, credentials, refresh. */
import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../src/core/errors";
import { CircuitBreakers, type CircuitState } from "../../src/routing/circuit-breaker";

const a = { key: "a/x", providerId: "a", providerType: "openai", deploymentName: "x" };
const b = { key: "b/y", providerId: "b", providerType: "openai", deploymentName: "y" };
const retryable = new GatewayError("upstream_error", "HTTP 503", { retryable: true });
const refused = new GatewayError("upstream_invalid_request", "too long");
const badKey = new GatewayError("upstream_error", "credentials", { credentialsRejected: true });

function setup(options = {}) {
  let now = 1_000_000;
  const changes: [string, CircuitState][] = [];
  const breakers = new CircuitBreakers(
    options,
    () => now,
    (t, s) => changes.push([t.key, s]),
  );
  const fail = (error = retryable) => breakers.tryPass(a)!.failed(error);
  return { breakers, changes, fail, advance: (ms: number) => (now += ms) };
}

describe("CircuitBreakers", () => {
  test("opens after 5 consecutive retryable failures and refuses for 30 s", () => {
    const { breakers, changes, fail, advance } = setup();
    for (let i = 0; i < 4; i++) fail();
    expect(breakers.state("a/x")).toBe("closed");
    fail();
    expect(breakers.state("a/x")).toBe("open");
    expect(changes).toEqual([["a/x", "open"]]);
    expect(breakers.tryPass(a)).toBeNull();
    expect(breakers.tryPass(b)).not.toBeNull(); // per target
    expect(breakers.notClosed()).toEqual([{ target: "a/x", state: "open", probeInMs: 30_000 }]);
    advance(29_999);
    expect(breakers.tryPass(a)).toBeNull();
    advance(1);
    expect(breakers.state("a/x")).toBe("half_open");
  });

  test("a success or a non-retryable answer resets the count", () => {
    const { breakers, fail } = setup();
    for (let i = 0; i < 4; i++) fail();
    breakers.tryPass(a)!.succeeded();
    for (let i = 0; i < 4; i++) fail();
    fail(refused);
    for (let i = 0; i < 4; i++) fail();
    expect(breakers.state("a/x")).toBe("closed");
  });

  test("half-open lets one probe through; its success closes the circuit", () => {
    const { breakers, changes, fail, advance } = setup();
    for (let i = 0; i < 5; i++) fail();
    advance(30_000);
    const probe = breakers.tryPass(a)!;
    expect(probe.probe).toBe(true);
    expect(breakers.tryPass(a)).toBeNull(); // only one probe at a time
    probe.succeeded();
    expect(breakers.state("a/x")).toBe("closed");
    expect(breakers.tryPass(a)!.probe).toBe(false);
    expect(changes.map((c) => c[1])).toEqual(["open", "half_open", "closed"]);
  });

  test("a failed probe re-opens for another cool-down; an abandoned one frees the slot", () => {
    const { breakers, fail, advance } = setup();
    for (let i = 0; i < 5; i++) fail();
    advance(30_000);
    breakers.tryPass(a)!.failed(retryable);
    expect(breakers.state("a/x")).toBe("open");
    advance(30_000);
    breakers.tryPass(a)!.abandon();
    const next = breakers.tryPass(a)!;
    expect(next.probe).toBe(true);
    next.failed(refused); // the upstream answered: alive
    expect(breakers.state("a/x")).toBe("closed");
  });

  test("rejected credentials open the circuit at once", () => {
    const { breakers, fail } = setup();
    fail(badKey);
    expect(breakers.state("a/x")).toBe("open");
  });

  test("failures after the answer started count toward opening", () => {
    const { breakers } = setup({ failureThreshold: 2 });
    breakers.tryPass(a)!.succeeded();
    breakers.noteLateFailure(a, retryable);
    breakers.noteLateFailure(a, retryable);
    expect(breakers.state("a/x")).toBe("open");
  });

  test("a verdict counts once", () => {
    const { breakers } = setup({ failureThreshold: 2 });
    const pass = breakers.tryPass(a)!;
    pass.failed(retryable);
    pass.failed(retryable);
    expect(breakers.state("a/x")).toBe("closed");
  });

  test("state survives retain for kept keys; dropped keys are forgotten", () => {
    const { breakers, fail } = setup();
    for (let i = 0; i < 5; i++) fail();
    breakers.tryPass(b);
    expect(breakers.retain([{ ...a }])).toEqual([b]);
    expect(breakers.state("a/x")).toBe("open");
    expect(breakers.all().map((c) => c.target.key)).toEqual(["a/x"]);
  });

  test("turned off, every target is always let through", () => {
    const breakers = new CircuitBreakers(false);
    for (let i = 0; i < 10; i++) breakers.tryPass(a)!.failed(badKey);
    expect(breakers.tryPass(a)).not.toBeNull();
    expect(breakers.notClosed()).toEqual([]);
  });
});
