/** POST /api/v1/completions (docs/api.md): validated by the TypeBox schema, answered as JSON or NDJSON. */
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { Elysia } from "elysia";
import { ClientCancelled, CompletionExecution, type CompletionDeps } from "../completion/completion-execution";
import type { ChunkEvent } from "../core/events";
import { GatewayError } from "../core/errors";
import { CompletionRequestSchema, normalizeRequest } from "../core/request";
import type { Logger } from "../observability/logger";
import { readJsonBody } from "./read-json-body";
import { invalidRequest } from "./request-problems";
import { errorResponse } from "./request-context";
import type { UsageAuth } from "../usage/usage-event";

export interface CompletionsRouteOptions {
  /** Largest accepted body in bytes (413 `payload_too_large` above it). */
  bodyLimitBytes: number;
  /** Deepest nesting of objects and arrays accepted in a body (400 beyond it). */
  bodyMaxDepth: number;
  deps: CompletionDeps;
  /** Whether completions may be served now (mapping loaded, not draining). */
  ready(): GatewayError | null;
  /** Streams open now (health, metrics). */
  streams: Set<CompletionExecution>;
  /** Every completion from its start until its answer is handed over, JSON or stream: drained at shutdown. */
  inFlight: Set<CompletionExecution>;
  /**
   * Lifts the connection's idle limit while a completion runs (a model may think for minutes
   * with nothing on the wire); the returned function puts it back once the answer is written.
   */
  holdConnection(request: Request): () => void;
}

const encoder = new TextEncoder();
const validBody = TypeCompiler.Compile(CompletionRequestSchema);

/** One write per pull: every queued chunk as NDJSON lines in a single buffer. */
function encodeQueued(queue: ChunkEvent[]): Uint8Array {
  let text = "";
  for (let i = 0; i < queue.length; i++) text += `${JSON.stringify(queue[i])}\n`;
  queue.length = 0;
  return encoder.encode(text);
}

export function completionsRoute(options: CompletionsRouteOptions) {
  const { deps, streams, inFlight } = options;
  const bounds = { limitBytes: options.bodyLimitBytes, maxDepth: options.bodyMaxDepth };
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
      inFlight.add(execution);
      const letGo = options.holdConnection(request);
      let streaming = false;
      try {
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
        streaming = true;
      } finally {
        if (!streaming) {
          inFlight.delete(execution);
          letGo();
        }
      }

      streams.add(execution);
      deps.metrics.activeStreams.inc();
      let closed = false;
      const release = () => {
        if (closed) return;
        closed = true;
        streams.delete(execution);
        inFlight.delete(execution);
        deps.metrics.activeStreams.dec();
        letGo();
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
      // Our own parser: the size limit holds for chunked bodies too, deep nesting is refused before
      // validation, and bad JSON gets our error.
      async parse({ request }) {
        return readJsonBody(request, bounds);
      },
      // The body is checked here too, so that a bad one never reaches Elysia's validator: its
      // error copies the whole body into its message (1.4 s and 12 MB for 200,000 bad messages).
      // A transform runs after the auth guard's derive: an unauthenticated client still gets 401.
      transform({ body }) {
        if (!validBody.Check(body)) throw invalidRequest(body);
      },
    },
  );
}
