/** The one failure classification, step by step, with a fake provider's description of its failures. */
import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../src/core/errors";
import { classifyFailure, type FailureDescription, type FailureParts, type Phase } from "../../src/providers/classify-failure";

const TYPE = "fakeprovider";
const live = () => new AbortController().signal;

/** A provider whose SDK failures are all described as `description`. */
function describing(description: FailureDescription | undefined): FailureParts<null> {
  return { describeFailure: () => description };
}

function classify(error: unknown, parts: FailureParts<null>, phase: Phase = "request", signal = live()): GatewayError {
  return classifyFailure(TYPE, error, phase, signal, parts, null);
}

const networkError = (code: string, message = `connect ${code} 127.0.0.1:9`) => Object.assign(new Error(message), { code });

describe("1. our own error raised under the SDK", () => {
  test("is passed on as it is, even wrapped by the SDK", () => {
    const ours = new GatewayError("upstream_error", "answer too large", { retryable: true });
    expect(classify(ours, describing({ kind: "timeout" }))).toBe(ours);
    expect(classify(new Error("wrapped", { cause: ours }), describing({ kind: "timeout" }))).toBe(ours);
  });

  test("goes through the provider's ownError when it has one", () => {
    const ours = new GatewayError("upstream_error", "answer too large\n  hint");
    const parts: FailureParts<null> = { ownError: (raised) => raised.withMessage(raised.message.split("\n")[0]!) };
    expect(classify(ours, parts).message).toBe("answer too large");
  });

  test("wins over an aborted signal", () => {
    const controller = new AbortController();
    controller.abort();
    const ours = new GatewayError("upstream_error", "answer too large");
    expect(classify(ours, {}, "read", controller.signal)).toBe(ours);
  });
});

describe("2. an aborted signal", () => {
  test("is its reason when the reason is ours (a timeout, shutting down)", () => {
    const controller = new AbortController();
    const reason = new GatewayError("upstream_timeout", "fakeprovider timed out after 10 ms", { retryable: true });
    controller.abort(reason);
    expect(classify(new Error("socket closed"), describing({ kind: "connection", cause: null }), "read", controller.signal)).toBe(reason);
  });

  test("is 'request aborted' otherwise, before anything the provider describes", () => {
    const controller = new AbortController();
    controller.abort();
    const error = classify(new Error("boom"), describing({ kind: "timeout" }), "request", controller.signal);
    expect(error.code).toBe("upstream_error");
    expect(error.message).toBe("request aborted");
    expect(error.retryable).toBe(false);
  });

  test("the SDK's own abort without our signal is 'request aborted' too", () => {
    const error = classify(new Error("aborted"), describing({ kind: "aborted" }));
    expect([error.code, error.message, error.retryable]).toEqual(["upstream_error", "request aborted", false]);
  });
});

describe("3. a timeout", () => {
  test("is upstream_timeout, retryable, naming the provider", () => {
    const error = classify(new Error("Request timed out."), describing({ kind: "timeout" }));
    expect([error.code, error.message, error.retryable]).toEqual(["upstream_timeout", "fakeprovider timed out", true]);
  });
});

describe("4. no HTTP answer", () => {
  test("a refused connection is 'could not reach', retryable", () => {
    const error = classify(new Error("Connection error."), describing({ kind: "connection", cause: networkError("ECONNREFUSED") }));
    expect([error.code, error.message, error.retryable, error.credentialsRejected]).toEqual([
      "upstream_error",
      "could not reach fakeprovider",
      true,
      false,
    ]);
  });

  test("a reset is a lost connection", () => {
    const error = classify(new Error("Connection error."), describing({ kind: "connection", cause: networkError("ECONNRESET") }));
    expect(error.message).toBe("connection to fakeprovider lost: the upstream closed the connection");
    expect(error.retryable).toBe(true);
  });

  test("anything that is not the network's is our own failure to send: a 500, not retried", () => {
    const error = classify(new Error("Connection error."), describing({ kind: "connection", cause: new TypeError("cyclic structure") }));
    expect([error.code, error.message, error.retryable]).toEqual([
      "internal_error",
      "the service failed to send the request to fakeprovider",
      false,
    ]);
  });

  test("a connection lost while reading is retryable", () => {
    const error = classify(new Error("aborted"), describing({ kind: "connection-lost" }), "read");
    expect([error.code, error.message, error.retryable]).toEqual([
      "upstream_error",
      "connection to fakeprovider lost: the upstream closed the connection",
      true,
    ]);
  });
});

describe("5. an HTTP status", () => {
  test("a refused request passes the provider's message on, with the status", () => {
    const error = classify(new Error("400"), describing({ kind: "http", status: 400, body: { message: "messages: Field required" } }));
    expect([error.code, error.message, error.upstreamStatus, error.retryable]).toEqual([
      "upstream_invalid_request",
      "messages: Field required",
      400,
      false,
    ]);
  });

  test("a rate limit honours the provider's Retry-After", () => {
    const error = classify(
      new Error("429"),
      describing({
        kind: "http",
        status: 429,
        body: { message: "slow down", code: "rate_limit_exceeded" },
        headers: { "retry-after": "7" },
      }),
    );
    expect([error.code, error.message, error.retryable, error.retryAfter]).toEqual([
      "rate_limited",
      "fakeprovider rate limit: slow down",
      true,
      7,
    ]);
  });

  test("an exhausted quota is not a rate limit: another target, not a retry later", () => {
    const error = classify(
      new Error("429"),
      describing({ kind: "http", status: 429, body: { message: "no credit", code: "insufficient_quota" } }),
    );
    expect([error.code, error.retryable]).toEqual(["upstream_error", false]);
  });

  test("a refused key never passes the provider's message on", () => {
    const error = classify(new Error("401"), describing({ kind: "http", status: 401, body: { message: "Incorrect API key: sk-secret" } }));
    expect(error.message).toBe("fakeprovider rejected the service's credentials (HTTP 401)");
    expect(error.credentialsRejected).toBe(true);
  });

  test("a body that says our key is bad is a credentials failure whatever the status", () => {
    const error = classify(
      new Error("400"),
      describing({ kind: "http", status: 400, body: { message: "API key not valid", credentialsRejected: true } }),
    );
    expect([error.code, error.credentialsRejected, error.upstreamStatus]).toEqual(["upstream_error", true, 400]);
  });

  test("a 5xx is retryable and without a message says its status", () => {
    const error = classify(new Error("503"), describing({ kind: "http", status: 503, body: {} }));
    expect([error.code, error.message, error.retryable]).toEqual(["upstream_error", "fakeprovider failed (HTTP 503): HTTP 503", true]);
  });

  test("a refused account is the target's failure, not the request's", () => {
    const error = classify(new Error("402"), describing({ kind: "account-refused", message: "credit balance too low" }));
    expect([error.code, error.message, error.upstreamStatus, error.credentialsRejected, error.retryable]).toEqual([
      "upstream_error",
      "fakeprovider refused the service's account (HTTP 402): credit balance too low",
      402,
      true,
      false,
    ]);
  });
});

describe("6. an answer that broke", () => {
  test("an error inside the answer is 'answer failed', retryable, without a status", () => {
    const error = classify(new Error("in-band"), describing({ kind: "in-band", detail: "model crashed (server_error)" }), "read");
    expect([error.code, error.message, error.retryable, error.upstreamStatus]).toEqual([
      "upstream_error",
      "fakeprovider answer failed: model crashed (server_error)",
      true,
      undefined,
    ]);
  });

  test("with the status its code stands for it keeps that status's class, and no status is cited", () => {
    const limited = classify(
      new Error("in-band"),
      describing({
        kind: "in-band",
        detail: "slow down (rate_limit_error)",
        status: 429,
        body: { message: "slow down", code: "rate_limit_error" },
      }),
      "read",
    );
    expect([limited.code, limited.message, limited.retryable, limited.upstreamStatus]).toEqual([
      "rate_limited",
      "fakeprovider answer failed: slow down (rate_limit_error)",
      true,
      undefined,
    ]);
    const refused = classify(
      new Error("in-band"),
      describing({
        kind: "in-band",
        detail: "bad (invalid_request_error)",
        status: 400,
        body: { message: "bad", code: "invalid_request_error" },
      }),
      "read",
    );
    expect([refused.code, refused.message]).toEqual(["upstream_invalid_request", "bad"]);
  });

  test("a malformed answer says what was wrong", () => {
    const error = classify(
      new SyntaxError("Unexpected token"),
      describing({ kind: "malformed", message: "malformed chunk: Unexpected token" }),
      "read",
    );
    expect([error.code, error.message, error.retryable]).toEqual([
      "upstream_error",
      "fakeprovider answer failed: malformed chunk: Unexpected token",
      true,
    ]);
  });

  test("a whole answer that is not one says so, with its status", () => {
    const error = classify(
      new Error("validation"),
      describing({ kind: "unreadable", what: "a body that is not a chat completion: x", status: 200 }),
    );
    expect([error.code, error.message, error.retryable, error.upstreamStatus]).toEqual([
      "upstream_error",
      "fakeprovider answered with a body that is not a chat completion: x",
      true,
      200,
    ]);
  });

  test("a request the SDK would not send is our bug", () => {
    const error = classify(new Error("validation"), describing({ kind: "not-built", message: "messages.0: Required" }));
    expect([error.code, error.message, error.retryable]).toEqual([
      "internal_error",
      "could not build the fakeprovider request: messages.0: Required",
      false,
    ]);
  });
});

describe("7. anything else, by its phase", () => {
  test("before an answer: a network failure is the connection's, anything else ours", () => {
    expect(classify(networkError("ENOTFOUND"), {}).message).toBe("could not reach fakeprovider");
    expect(classify(new TypeError("undefined is not a function"), describing(undefined)).code).toBe("internal_error");
  });

  test("while reading: a network failure is a lost connection, JSON that does not parse a malformed answer", () => {
    expect(classify(networkError("ECONNRESET", "socket hang up"), {}, "read").message).toBe(
      "connection to fakeprovider lost: the upstream closed the connection",
    );
    expect(classify(new SyntaxError("Unexpected end of JSON input"), {}, "read").message).toBe(
      "fakeprovider answer failed: malformed JSON: Unexpected end of JSON input",
    );
  });

  test("a failure the provider knows came after an answer is read as such, whatever the phase", () => {
    const error = classify(new Error("body ended early"), describing({ kind: "answered" }), "request");
    expect([error.code, error.message, error.retryable]).toEqual(["upstream_error", "fakeprovider answer failed: body ended early", true]);
  });
});
