/**
 * A streamed completion's chunk events as a response body, in whatever wire format the door speaks
 * (our NDJSON, OpenAI's or Anthropic's SSE). Pull-based: the upstream is read only as the client
 * takes what was written, and every chunk ready in one turn goes out in one write.
 */
import type { ChunkSource } from "../completion/chunk-pump";
import type { ChunkEvent } from "../core/events";
import type { CompletionHold } from "./answer-completion";

/** Turns ready chunk events into wire text; keeps whatever state the wire format needs. */
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

const encoder = new TextEncoder();

/** The response body's source: pulls the chunks, writes them in the wire format, lets go of the hold at the end. */
class ChunkPull implements Bun.UnderlyingSource<Uint8Array> {
  constructor(
    private readonly chunks: ChunkSource,
    private readonly hold: CompletionHold,
    private readonly wire: WireEncoder,
  ) {}

  async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    const { chunks } = this;
    const ready = chunks.ready;
    // A wire format may have no counterpart for some chunks (a tool call's end in SSE): read on
    // until something is written, or a pending read would never be pulled again.
    for (;;) {
      if (ready.length === 0 && !chunks.ended) await chunks.fill();
      let bytes: Uint8Array | null = null;
      if (ready.length > 0) {
        bytes = encoder.encode(this.wire.encode(ready));
        ready.length = 0;
      }
      if (bytes && bytes.length > 0) controller.enqueue(bytes);
      if (chunks.ended && ready.length === 0) {
        this.hold.release();
        controller.close();
        return;
      }
      if (bytes && bytes.length > 0) return;
    }
  }

  cancel(): void {
    this.chunks.cancel();
    this.hold.release();
  }
}

/**
 * The stream's response: it counts as open (its hold kept) until its last chunk is handed over or
 * the client goes away.
 */
export function chunkStreamResponse(
  answer: { chunks: ChunkSource; hold: CompletionHold },
  wire: WireEncoder,
  contentType: string,
  requestId: string,
): Response {
  return new Response(new ReadableStream(new ChunkPull(answer.chunks, answer.hold, wire)), {
    headers: { "content-type": contentType, "cache-control": "no-store", "x-request-id": requestId },
  });
}
