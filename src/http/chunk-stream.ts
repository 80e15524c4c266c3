/**
 * A streamed completion's chunk events as a response body, in whatever wire format the door speaks
 * (our NDJSON, OpenAI's or Anthropic's SSE). Pull-based: the upstream is read only as the client
 * takes what was written, and every chunk ready in one turn goes out in one write.
 */
import type { CompletionDeps, CompletionExecution } from "../completion/completion-execution";
import type { ChunkEvent } from "../core/events";

/** Turns queued chunk events into wire text; keeps whatever state the wire format needs. */
export interface WireEncoder {
  encode(events: ChunkEvent[]): string;
}

/** Our own stream: one JSON object per line. */
export const NDJSON: WireEncoder = {
  encode(events) {
    let text = "";
    for (let i = 0; i < events.length; i++) text += `${JSON.stringify(events[i])}\n`;
    return text;
  },
};

export interface ChunkStreamOptions {
  deps: CompletionDeps;
  /** Streams open now (health, metrics). */
  streams: Set<CompletionExecution>;
}

const encoder = new TextEncoder();

/**
 * Counts the stream as open until its last chunk is handed over or the client goes away; then
 * `onClose` runs, once (the door lets go of the completion: shutdown draining, the idle limit).
 */
export function chunkStreamResponse(
  options: ChunkStreamOptions,
  execution: CompletionExecution,
  wire: WireEncoder,
  contentType: string,
  requestId: string,
  onClose: () => void,
): Response {
  const { deps, streams } = options;
  streams.add(execution);
  deps.metrics.activeStreams.inc();
  let closed = false;
  const release = () => {
    if (closed) return;
    closed = true;
    streams.delete(execution);
    deps.metrics.activeStreams.dec();
    onClose();
  };
  const drain = (): Uint8Array => {
    const text = wire.encode(execution.queue);
    execution.queue.length = 0;
    return encoder.encode(text);
  };
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      // A wire format may have no counterpart for some chunks (a tool call's end in SSE): read on
      // until something is written, or a pending read would never be pulled again.
      for (;;) {
        if (execution.queue.length === 0 && !execution.isFinished) await execution.advance();
        const bytes = execution.queue.length > 0 ? drain() : null;
        if (bytes && bytes.length > 0) controller.enqueue(bytes);
        if (execution.isFinished && execution.queue.length === 0) {
          release();
          controller.close();
          return;
        }
        if (bytes && bytes.length > 0) return;
      }
    },
    cancel() {
      execution.cancel();
      release();
    },
  });
  return new Response(stream, {
    headers: { "content-type": contentType, "cache-control": "no-store", "x-request-id": requestId },
  });
}
