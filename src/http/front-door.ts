/**
 * What the OpenAI and Anthropic front doors share: reading the body, running a translated request
 * through the same `CompletionExecution` as `/api/v1/completions` (routing, fallbacks, usage event),
 * and streaming its chunk events in the door's own wire format. Each door only translates.
 */
import { ClientCancelled, CompletionExecution, type CompletionApi } from "../completion/completion-execution";
import type { CompletionRequest } from "../core/request";
import type { Logger } from "../observability/logger";
import type { UsageAuth } from "../usage/usage-event";
import type { CompletionsRouteOptions } from "./completions-route";
import { readJsonBody } from "./read-json-body";
import { chunkStreamResponse, type WireEncoder } from "./chunk-stream";

export type FrontDoorOptions = CompletionsRouteOptions;

/** What Elysia's context holds for a door handler (request context and auth guard derives). */
export interface DoorContext {
  request: Request;
  requestId: string;
  receivedAt: number;
  log: Logger;
  auth?: UsageAuth | null;
}

export function doorContext(ctx: unknown): DoorContext {
  return ctx as DoorContext;
}

/** The JSON body, within the same bounds as `/api/v1/completions` (size, depth, content type). */
export function readDoorBody(options: FrontDoorOptions, request: Request): Promise<unknown> {
  return readJsonBody(request, { limitBytes: options.bodyLimitBytes, maxDepth: options.bodyMaxDepth });
}

/** What ends a door completion's hold on shutdown draining and on its connection's idle limit. */
const releases = new WeakMap<CompletionExecution, () => void>();

/**
 * Starts the completion: resolves with the execution once it answered (JSON) or has its first
 * chunk (stream); null when the client went away first. Throws the GatewayError it failed with.
 */
export async function openCompletion(
  options: FrontDoorOptions,
  ctx: DoorContext,
  request: CompletionRequest,
  api: CompletionApi,
): Promise<CompletionExecution | null> {
  const notReady = options.ready();
  if (notReady) throw notReady;
  const admission = options.deps.limits ? await options.deps.limits.admit(ctx.auth ?? null, request) : null;
  const execution = new CompletionExecution(options.deps, {
    request,
    requestId: ctx.requestId,
    receivedAt: ctx.receivedAt,
    clientSignal: ctx.request.signal,
    auth: ctx.auth ?? null,
    logger: ctx.log,
    api,
    admission,
  });
  // Drained at shutdown like any completion, and its connection is not cut while a model thinks.
  options.inFlight.add(execution);
  const letGo = options.holdConnection(ctx.request);
  const release = () => {
    options.inFlight.delete(execution);
    letGo();
  };
  try {
    await execution.open();
  } catch (e) {
    release();
    if (e instanceof ClientCancelled) return null;
    throw e;
  }
  // A JSON answer is complete now; a stream holds on until its last chunk is handed over.
  if (request.stream) releases.set(execution, release);
  else release();
  return execution;
}

/** The execution's chunks as an SSE response (see `chunkStreamResponse`); shutdown drains it. */
export function sseResponse(options: FrontDoorOptions, execution: CompletionExecution, wire: WireEncoder, requestId: string): Response {
  return chunkStreamResponse(options, execution, wire, "text/event-stream; charset=utf-8", requestId, () => releases.get(execution)?.());
}

export function jsonResponse(body: unknown, requestId: string): Response {
  return new Response(JSON.stringify(body), { headers: { "content-type": "application/json", "x-request-id": requestId } });
}

/** An SSE frame: `event:` line when named, one `data:` line of JSON. */
export function sseFrame(data: unknown, event?: string): string {
  return `${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
}
