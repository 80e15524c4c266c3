/**
 * Upstream bodies read within `UpstreamLimits`: a JSON answer whole up to `maxResponseBytes`, an
 * error answer's first `maxErrorBodyBytes`, a stream one event at a time up to `maxEventBytes`.
 *
 * Our own readers (the OpenAI family, Ollama) call `readJsonWithin` / `readErrorText` and bound
 * their stream framers. The official SDKs (Anthropic, Google, Mistral) read bodies themselves, so
 * they are handed `boundedFetch`: the same `fetch`, whose responses' bodies stop the SDK, with our
 * error, once past a bound.
 */
import type { GatewayError } from "../../core/errors";
import { upstreamTooLarge, type UpstreamLimits } from "../upstream-limits";

/** A declared `content-length` (the transport holds the body to it), if any. */
function declaredLength(response: Response): number | undefined {
  const value = response.headers.get("content-length");
  if (value === null) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Reads at most `maxBytes` of the body. Past them it throws `tooLarge()`, or without one keeps what
 * was read; either way the rest is never read (the body is cancelled).
 */
async function readWithin(response: Response, maxBytes: number, tooLarge?: () => GatewayError): Promise<string> {
  const body = response.body;
  if (!body) return "";
  const length = declaredLength(response);
  if (length !== undefined && length <= maxBytes) return response.text();
  if (length !== undefined && tooLarge) {
    body.cancel().catch(() => {});
    throw tooLarge();
  }
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let read = 0;
  let complete = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        complete = true;
        return text + decoder.decode();
      }
      if (read + value.byteLength > maxBytes) {
        if (tooLarge) throw tooLarge();
        return text + decoder.decode(value.subarray(0, maxBytes - read));
      }
      read += value.byteLength;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    if (!complete) reader.cancel().catch(() => {});
  }
}

/** A JSON answer, parsed; `upstream_error` past `maxResponseBytes`. */
export async function readJsonWithin(response: Response, providerType: string, limits: UpstreamLimits): Promise<unknown> {
  const length = declaredLength(response);
  // The common case, a declared length within the bound: the runtime's own reader.
  if (length !== undefined && length <= limits.maxResponseBytes) return response.json();
  const text = await readWithin(response, limits.maxResponseBytes, () => upstreamTooLarge(providerType, "answer", limits.maxResponseBytes));
  return JSON.parse(text);
}

/** The start of an error answer; the rest of a huge error page is dropped unread. */
export function readErrorText(response: Response, limits: UpstreamLimits): Promise<string> {
  return readWithin(response, limits.maxErrorBodyBytes);
}

const EVENT_STREAM = /^text\/event-stream/i;

/** `fetch` whose responses are bounded as `boundedResponse` says. For SDKs that take a `fetch`. */
export function boundedFetch(providerType: string, limits: UpstreamLimits): typeof fetch {
  const bounded = async (...args: Parameters<typeof fetch>) => boundedResponse(await fetch(...args), providerType, limits);
  return Object.assign(bounded, { preconnect: fetch.preconnect }) as typeof fetch;
}

/**
 * The response with its body bounded: an error answer cut after `maxErrorBodyBytes`; an SSE stream
 * failing once one event runs past `maxEventBytes`; any other answer failing past
 * `maxResponseBytes`. A failure is the body's error, so whoever reads it gets ours.
 */
export function boundedResponse(response: Response, providerType: string, limits: UpstreamLimits): Response {
  const body = response.body;
  if (!body) return response;
  const length = declaredLength(response);
  let step: Step;
  if (!response.ok) {
    if (length !== undefined && length <= limits.maxErrorBodyBytes) return response;
    step = truncateAfter(limits.maxErrorBodyBytes);
  } else if (EVENT_STREAM.test(response.headers.get("content-type") ?? "")) {
    step = failOnLongEvent(() => upstreamTooLarge(providerType, "event", limits.maxEventBytes), limits.maxEventBytes);
  } else {
    if (length !== undefined && length <= limits.maxResponseBytes) return response;
    step = failAfter(() => upstreamTooLarge(providerType, "answer", limits.maxResponseBytes), limits.maxResponseBytes);
  }
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  return new Response(through(body, step), { status: response.status, statusText: response.statusText, headers });
}

/** What passes on of one read; `last` ends the body there. Throws past a bound. */
type Step = (chunk: Uint8Array) => { chunk: Uint8Array; last?: boolean };

/** The body, read only as the reader asks, each read through `step`; an end or failure cancels the upstream body. */
function through(body: ReadableStream<Uint8Array>, step: Step): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const read = await reader.read();
        if (read.done) return controller.close();
        let passed: ReturnType<Step>;
        try {
          passed = step(read.value);
        } catch (error) {
          reader.cancel().catch(() => {});
          return controller.error(error);
        }
        controller.enqueue(passed.chunk);
        if (passed.last) {
          reader.cancel().catch(() => {});
          controller.close();
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

function truncateAfter(maxBytes: number): Step {
  let passed = 0;
  return (chunk) => {
    const room = maxBytes - passed;
    passed += Math.min(room, chunk.byteLength);
    // Enough of an error page: end it here.
    return chunk.byteLength < room ? { chunk } : { chunk: chunk.subarray(0, room), last: true };
  };
}

function failAfter(tooLarge: () => GatewayError, maxBytes: number): Step {
  let passed = 0;
  return (chunk) => {
    passed += chunk.byteLength;
    if (passed > maxBytes) throw tooLarge();
    return { chunk };
  };
}

/** Counts the bytes since the last blank line: the end of an SSE event. */
function failOnLongEvent(tooLarge: () => GatewayError, maxBytes: number): Step {
  let sinceEventEnd = 0;
  let endedWithLF = false;
  return (chunk) => {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (bytes.lastIndexOf(10) === -1) sinceEventEnd += bytes.byteLength;
    else {
      // A blank line: LF LF, CR LF CR LF (or lone CRs), possibly split across two reads.
      const end = Math.max(bytes.lastIndexOf("\n\n"), bytes.lastIndexOf("\n\r\n"), bytes.lastIndexOf("\r\r"));
      const acrossReads = endedWithLF && (bytes[0] === 10 || (bytes[0] === 13 && bytes[1] === 10));
      if (end !== -1) sinceEventEnd = bytes.byteLength - end;
      else if (acrossReads) sinceEventEnd = bytes.byteLength;
      else sinceEventEnd += bytes.byteLength;
    }
    endedWithLF = bytes[bytes.byteLength - 1] === 10;
    if (sinceEventEnd > maxBytes) throw tooLarge();
    return { chunk };
  };
}
