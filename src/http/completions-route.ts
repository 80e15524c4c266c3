/** POST /api/v1/completions (docs/api.md): validated by the TypeBox schema, answered as JSON or NDJSON. */
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { Elysia } from "elysia";
import { CompletionRequestSchema, normalizeRequest } from "../core/request";
import { answerCompletion, type CompletionServing } from "./answer-completion";
import { chunkStreamResponse, NDJSON } from "./chunk-stream";
import { readJsonBody } from "./read-json-body";
import { invalidRequest } from "./request-problems";
import { errorResponse, type RequestContext } from "./request-context";
import type { AuthGuard } from "../auth/auth-guard";

export interface CompletionsRouteOptions extends CompletionServing {
  /** The app's request context and auth guard: used here too, so that their fields are typed. */
  context: RequestContext;
  guard: AuthGuard;
  /** Largest accepted body in bytes (413 `payload_too_large` above it). */
  bodyLimitBytes: number;
  /** Deepest nesting of objects and arrays accepted in a body (400 beyond it). */
  bodyMaxDepth: number;
}

const validBody = TypeCompiler.Compile(CompletionRequestSchema);

export function completionsRoute(options: CompletionsRouteOptions) {
  const bounds = { limitBytes: options.bodyLimitBytes, maxDepth: options.bodyMaxDepth };
  return new Elysia({ name: "completions-route" })
    .use(options.context)
    .use(options.guard)
    .post(
      "/api/v1/completions",
      // The context is destructured, never passed whole: Elysia reads which of its parts a handler
      // uses, and one passed on whole makes it prepare all of them (cookies, query) for every request.
      async ({ body, request, requestId, receivedAt, log, auth }) => {
        const completionRequest = normalizeRequest(body);
        const answer = await answerCompletion(options, { request, requestId, receivedAt, log, auth }, completionRequest);
        switch (answer.kind) {
          case "json":
            return new Response(JSON.stringify(answer.folded.response(`cmpl_${requestId.replace(/-/g, "")}`, completionRequest.model)), {
              headers: { "content-type": "application/json", "x-request-id": requestId },
            });
          case "stream":
            return chunkStreamResponse(answer, NDJSON, "application/x-ndjson", requestId);
          case "failed":
            return errorResponse(answer.error, requestId);
          case "gone":
            return new Response(null, { status: 499 });
        }
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
