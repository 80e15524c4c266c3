/**
 * Scenarios every provider test runs the same way. Each returns what the test then asserts; the
 * provider's own checks stay in its file.
 */
import type { UsageEvent } from "../../src/usage/usage-event";
import type { FakeUpstream } from "../fakes/fake-upstream";
import type { Harness } from "./service-harness";

type Request = Record<string, unknown>;

export interface Cancelled {
  /** Whether the upstream request was closed by the service within the wait. */
  upstreamClosed: boolean;
  /** The usage event of the cancelled request. */
  event: UsageEvent;
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
  const upstream = fake.requests[0]!;
  await Promise.race([upstream.ended, Bun.sleep(withinMs)]);
  const upstreamClosed = upstream.clientClosed;
  const [event] = await svc.sink.waitFor(1);
  return { upstreamClosed, event: event! };
}
