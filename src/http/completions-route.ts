/** POST /api/v1/completions (docs/api.md): validated by the TypeBox schema, answered as JSON or NDJSON. */
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { Elysia } from "elysia";
import { ClientCancelled, CompletionExecution, type CompletionDeps } from "../completion/completion-execution";
import type { GatewayError } from "../core/errors";
import { CompletionRequestSchema, normalizeRequest } from "../core/request";
import type { Logger } from "../observability/logger";
import { chunkStreamResponse, NDJSON } from "./chunk-stream";
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

const validBody = TypeCompiler.Compile(CompletionRequestSchema);

export function completionsRoute(options: CompletionsRouteOptions) {
  const { deps, inFlight } = options;
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

      return chunkStreamResponse(options, execution, NDJSON, "application/x-ndjson", requestId, () => {
        inFlight.delete(execution);
        letGo();
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
