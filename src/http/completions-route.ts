/** POST /api/v1/completions (CONTRACT §2): validated by the TypeBox schema, answered as JSON or NDJSON. */
import { Elysia } from "elysia";
import { ClientCancelled, CompletionExecution, type CompletionDeps } from "../completion/completion-execution";
import type { ChunkEvent } from "../core/events";
import { GatewayError } from "../core/errors";
import { CompletionRequestSchema, normalizeRequest } from "../core/request";
import type { Logger } from "../observability/logger";
import { errorResponse } from "./request-context";
import type { UsageAuth } from "../usage/usage-event";

export interface CompletionsRouteOptions {
  /** Largest accepted body in bytes (CONTRACT §2: 413 above it). */
  bodyLimitBytes: number;
  deps: CompletionDeps;
  /** Whether completions may be served now (mapping loaded, not draining). */
  ready(): GatewayError | null;
  /** Streams open now; drained at shutdown. */
  streams: Set<CompletionExecution>;
}

const encoder = new TextEncoder();

/** One write per pull: every queued chunk as NDJSON lines in a single buffer. */
function encodeQueued(queue: ChunkEvent[]): Uint8Array {
  let text = "";
  for (let i = 0; i < queue.length; i++) text += `${JSON.stringify(queue[i])}\n`;
  queue.length = 0;
  return encoder.encode(text);
}

export function completionsRoute(options: CompletionsRouteOptions) {
  const { deps, streams } = options;
  const limit = options.bodyLimitBytes;
  return new Elysia({ name: "completions-route" }).post(
    "/api/v1/completions",
    async (ctx) => {
      const { body, request } = ctx;
      const { requestId, receivedAt, log } = ctx as unknown as { requestId: string; receivedAt: number; log: Logger };
      const auth = (ctx as unknown as { auth?: UsageAuth | null }).auth ?? null;
      const notReady = options.ready();
      if (notReady) return errorResponse(notReady, requestId);

      const completionRequest = normalizeRequest(body);
      const admission = deps.limits ? await deps.limits.admit(auth, completionRequest) : null;
      const execution = new CompletionExecution(deps, {
        request: completionRequest,
        requestId,
        receivedAt,
        clientSignal: request.signal,
        auth,
        logger: log,
        admission,
      });
      try {
        await execution.open();
      } catch (e) {
        if (e instanceof ClientCancelled) return new Response(null, { status: 499 });
        throw e;
      }
      if (!completionRequest.stream) {
        return new Response(JSON.stringify(execution.response(`cmpl_${requestId.replace(/-/g, "")}`)), {
          headers: { "content-type": "application/json", "x-request-id": requestId },
        });
      }

      streams.add(execution);
      deps.metrics.activeStreams.inc();
      let closed = false;
      const release = () => {
        if (closed) return;
        closed = true;
        streams.delete(execution);
        deps.metrics.activeStreams.dec();
      };
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (execution.queue.length === 0 && !execution.isFinished) await execution.advance();
          if (execution.queue.length > 0) controller.enqueue(encodeQueued(execution.queue));
          if (execution.isFinished && execution.queue.length === 0) {
            release();
            controller.close();
          }
        },
        cancel() {
          execution.cancel();
          release();
        },
      });
      return new Response(stream, {
        headers: {
          "content-type": "application/x-ndjson",
          "cache-control": "no-store",
          "x-request-id": requestId,
        },
      });
    },
    {
      body: CompletionRequestSchema,
      // Our own parser: the size limit holds for chunked bodies too, and bad JSON gets our error.
      async parse({ request }) {
        const text = await request.text();
        if (text.length > limit) {
          throw new GatewayError("payload_too_large", `request body is over the limit of ${limit} bytes`);
        }
        try {
          return JSON.parse(text);
        } catch {
          throw new GatewayError("invalid_request", "request body is not valid JSON", {
            details: [{ field: "body", message: "must be valid JSON" }],
          });
        }
      },
    },
  );
}
