/**
 * What the OpenAI and Anthropic front doors share: reading the body, and writing a stream's chunk
 * events in the door's own wire format. A door answers through the same `answerCompletion` as
 * `/api/v1/completions` (routing, fallbacks, usage event) and only translates.
 */
import type { ResponseAggregator } from "../core/response-aggregator";
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

/** How a door writes an answer: its JSON body for a whole answer, its SSE encoder for a stream. */
export interface DoorWriter {
  json(folded: ResponseAggregator): unknown;
  stream(): WireEncoder;
}

/**
 * The door's response to a completion's answer. A failure is thrown, so that the door's error hook
 * answers it in the door's own shape; a client already gone gets 499 (the access log's).
 */
export function doorResponse(answer: CompletionAnswer, requestId: string, writer: DoorWriter): Response {
  switch (answer.kind) {
    case "json":
      return jsonResponse(writer.json(answer.folded), requestId);
    case "stream":
      return sseResponse(answer, writer.stream(), requestId);
    case "failed":
      throw answer.error;
    case "gone":
      return new Response(null, { status: 499 });
  }
}

export function jsonResponse(body: unknown, requestId: string): Response {
  return new Response(JSON.stringify(body), { headers: { "content-type": "application/json", "x-request-id": requestId } });
}

/** An SSE frame: `event:` line when named, one `data:` line of JSON. */
export function sseFrame(data: unknown, event?: string): string {
  return `${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
}
