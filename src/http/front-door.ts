/**
 * What the OpenAI and Anthropic front doors share: reading the body, and writing a stream's chunk
 * events in the door's own wire format. A door answers through the same `answerCompletion` as
 * `/api/v1/completions` (routing, fallbacks, usage event) and only translates.
 */
import type { CompletionAnswer } from "./answer-completion";
import type { CompletionsRouteOptions } from "./completions-route";
import { readJsonBody } from "./read-json-body";
import { chunkStreamResponse, type WireEncoder } from "./chunk-stream";

export type FrontDoorOptions = CompletionsRouteOptions;

/** The JSON body, within the same bounds as `/api/v1/completions` (size, depth, content type). */
export function readDoorBody(options: FrontDoorOptions, request: Request): Promise<unknown> {
  return readJsonBody(request, { limitBytes: options.bodyLimitBytes, maxDepth: options.bodyMaxDepth });
}

/** A stream's chunks as the door's SSE (see `chunkStreamResponse`). */
export function sseResponse(answer: CompletionAnswer & { kind: "stream" }, wire: WireEncoder, requestId: string): Response {
  return chunkStreamResponse(answer, wire, "text/event-stream; charset=utf-8", requestId);
}

export function jsonResponse(body: unknown, requestId: string): Response {
  return new Response(JSON.stringify(body), { headers: { "content-type": "application/json", "x-request-id": requestId } });
}

/** An SSE frame: `event:` line when named, one `data:` line of JSON. */
export function sseFrame(data: unknown, event?: string): string {
  return `${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
}
