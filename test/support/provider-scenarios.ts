/**
 * Scenarios every provider test runs the same way: the service in front of a fake upstream for
 * the file, a client that goes away, an upstream error asked for both ways, an upstream nothing
 * listens on, a stream that fails after it began. Each returns what the test then asserts; the
 * provider's own checks stay in its file.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import type { ChunkEvent } from "../../src/core/events";
import type { UsageEvent } from "../../src/usage/usage-event";
import type { FakeUpstream, RecordedRequest } from "../fakes/fake-upstream";
import { grammarViolations } from "./ndjson";
import { flushAfterResponse } from "../../src/completion/after-response";
import { singleTargetMapping, startService, type Harness, type HarnessOptions } from "./service-harness";

type Request = Record<string, unknown>;

/**
 * One service and one fake upstream for the whole file: `start` starts both (keeping them in the
 * file's own variables); both are stopped after the file, and what they recorded is forgotten
 * before each test.
 */
export function serviceAgainstFake(start: () => Promise<{ svc: Harness; fake: FakeUpstream }>): void {
  let running: { svc: Harness; fake: FakeUpstream };
  beforeAll(async () => {
    running = await start();
  });
  afterAll(async () => {
    await running.svc.stop();
    await running.fake.close();
  });
  beforeEach(() => {
    flushAfterResponse(); // the last test's usage events, handed to the sink a turn after their answers
    running.fake.requests.length = 0;
    running.svc.sink.events.length = 0;
  });
}

/** Runs `run` against a service of its own (another mapping than the file's), stopped after. */
export async function withService<T>(options: HarnessOptions, run: (svc: Harness) => Promise<T>): Promise<T> {
  const svc = await startService(options);
  try {
    return await run(svc);
  } finally {
    await svc.stop();
  }
}

export interface Cancelled {
  /** Whether the upstream request was closed by the service within the wait. */
  upstreamClosed: boolean;
  /** The usage event of the cancelled request. */
  event: UsageEvent;
}

/** A fake answering text pieces, with an optional pause before each (OpenAI, Gemini, Mistral, Ollama). */
interface TextPiecesFake extends FakeUpstream {
  answer(fn: () => { text: string[]; chunkDelayMs?: number }): void;
}

/**
 * The client-disconnect tests of a provider whose fake answers text pieces: a client leaving
 * mid-stream closes the upstream request at once and the output so far is counted; one leaving
 * before the first byte closes it too.
 */
export function clientDisconnectTests(running: () => { svc: Harness; fake: TextPiecesFake }, model: string, user: unknown[]): void {
  test("client disconnect aborts the upstream request at once", async () => {
    const { svc, fake } = running();
    fake.answer(() => ({ text: Array.from({ length: 50 }, (_, i) => `piece ${i} `), chunkDelayMs: 100 }));
    const { upstreamClosed, event } = await cancelMidStream(svc, fake, { model, messages: user, stream: true });
    expect(upstreamClosed).toBe(true);
    expect(event).toMatchObject({ status: "cancelled", usageSource: "estimated" });
    expect(event.outputTokens).toBeGreaterThan(0);
  });

  test("client disconnect before the first byte aborts the upstream too", async () => {
    const { svc, fake } = running();
    fake.answer(() => ({ text: ["late"], chunkDelayMs: 2000 }));
    const { upstreamClosed, event } = await cancelBeforeFirstByte(svc, fake, { model, messages: user, stream: true });
    expect(upstreamClosed).toBe(true);
    expect(event.status).toBe("cancelled");
  });
}

/**
 * A client that reads the first chunk of a stream, then goes away. Waits up to `withinMs` for the
 * service to close the upstream request, then for the usage event.
 */
export async function cancelMidStream(svc: Harness, fake: FakeUpstream, request: Request, withinMs = 3000): Promise<Cancelled> {
  const controller = new AbortController();
  const res = await svc.post(request, { signal: controller.signal });
  await res.body!.getReader().read();
  controller.abort();
  return afterCancel(svc, fake, withinMs);
}

/**
 * A client that goes away once the upstream has the request, before the service answered a byte.
 * Waits up to `withinMs` for the service to close the upstream request, then for the usage event.
 */
export async function cancelBeforeFirstByte(svc: Harness, fake: FakeUpstream, request: Request, withinMs = 3000): Promise<Cancelled> {
  const controller = new AbortController();
  const pending = svc.post(request, { signal: controller.signal }).catch(() => null);
  while (fake.requests.length === 0) await Bun.sleep(10);
  controller.abort();
  await pending;
  return afterCancel(svc, fake, withinMs);
}

async function afterCancel(svc: Harness, fake: FakeUpstream, withinMs: number): Promise<Cancelled> {
  const upstreamClosed = await closedWithin(fake.requests[0]!, withinMs);
  const [event] = await svc.sink.waitFor(1);
  return { upstreamClosed, event: event! };
}

/** Whether the service closed the upstream request within `withinMs` (waiting no longer than it takes). */
export async function closedWithin(upstream: RecordedRequest, withinMs = 3000): Promise<boolean> {
  await Promise.race([upstream.ended, Bun.sleep(withinMs)]);
  return upstream.clientClosed;
}

export interface Answer {
  stream: boolean;
  res: Response;
  body: any;
}

/** Posts the request for a JSON answer, then streamed, with the given headers; reads each answer's JSON body. */
export async function postJsonThenStream(svc: Harness, request: Request, headers: Record<string, string> = {}): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (const stream of [false, true]) {
    const res = await svc.post({ ...request, stream }, { headers: { "content-type": "application/json", ...headers } });
    answers.push({ stream, res, body: await res.json() });
  }
  return answers;
}

/**
 * An upstream error, asked for both ways with an `x-request-id`: each answer has the contract's
 * status and code and echoes the request id (header and body), and both usage events record the
 * error's code. Returns the answers and the events for the provider's own checks.
 */
export async function expectUpstreamError(
  svc: Harness,
  request: Request,
  expected: { status: number; code: string; requestId: string },
): Promise<{ answers: Answer[]; events: UsageEvent[] }> {
  const { status, code, requestId } = expected;
  const answers = await postJsonThenStream(svc, request, { "x-request-id": requestId });
  for (const { res, body } of answers) {
    expect(res.status).toBe(status);
    expect(res.headers.get("x-request-id")).toBe(requestId);
    expect(body).toMatchObject({ statusCode: status, code, requestId });
  }
  const events = await svc.sink.waitFor(2);
  expect(events.every((e) => e.status === "error" && e.error?.code === code)).toBe(true);
  return { answers, events };
}

/** Where nothing listens: a connection to it is refused at once. */
export const UNREACHABLE_URL = "http://127.0.0.1:9";

/** The answers, both ways, of a service whose one target is `provider`, configured to an upstream nothing listens on. */
export function answersFromUnreachable(provider: Record<string, unknown>, request: Request, deploymentName?: string): Promise<Answer[]> {
  return withService({ mapping: singleTargetMapping(provider, deploymentName) }, (svc) => postJsonThenStream(svc, request));
}

/**
 * A stream that failed after it began: in the grammar, with an `error` line, ended by
 * finish:error. Returns the error line for the test's own checks.
 */
export function expectStreamFailed(lines: ChunkEvent[]): Extract<ChunkEvent, { type: "error" }> {
  expect(grammarViolations(lines)).toEqual([]);
  const error = lines.find((l) => l.type === "error");
  expect(error).toBeDefined();
  expect(lines.at(-1)).toEqual({ type: "finish", finishReason: "error" });
  return error as Extract<ChunkEvent, { type: "error" }>;
}
