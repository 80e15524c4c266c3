/** Assertions shared by the auth tests. */
import { expect } from "bun:test";
import { UNAUTHORIZED_MESSAGE } from "../../src/auth/auth-guard";
import { flushAfterResponse } from "../../src/completion/after-response";
import type { UsageEvent } from "../../src/usage/usage-event";
import type { CompletionCall, RunningService } from "./guarded-service";

/** The one 401 of every auth mode: same body whatever failed, `www-authenticate`, no usage event. */
export function expectUnauthorized(call: CompletionCall, service: RunningService): void {
  expect(call.response.status).toBe(401);
  expect(call.response.headers.get("www-authenticate")).toBe("Bearer");
  expect(call.response.headers.get("content-type")).toContain("application/json");
  expect(call.response.headers.get("x-request-id")).toBe(call.requestId);
  expect(call.body).toEqual({
    statusCode: 401,
    error: "Unauthorized",
    code: "unauthorized",
    message: UNAUTHORIZED_MESSAGE,
    requestId: call.requestId,
  });
  flushAfterResponse(); // a completion's event would be waiting here a turn after its answer
  expect(service.sink.events.some((e) => e.requestId === call.requestId)).toBe(false);
}

/** A served completion; returns its usage event. */
export async function expectServed(call: CompletionCall, service: RunningService): Promise<UsageEvent> {
  expect(call.response.status).toBe(200);
  expect(typeof call.body.outputText).toBe("string");
  const event = await service.sink.eventFor(call.requestId);
  expect(event.status).toBe("success");
  return event;
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
