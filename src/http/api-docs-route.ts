/**
 * The OpenAPI 3.1 document of the API at GET /api/docs/json and a readable page at GET /api/docs
 * (Elysia's OpenAPI plugin; the page is Scalar, loaded from its CDN by the browser). The request
 * schema is the one the completions route validates with; answers, chunks and errors are the
 * schemas of `response-schemas.ts`. Public, like health. Routes under /v1/ (the OpenAI- and
 * Anthropic-compatible front doors) are left out: they follow those APIs' own published documents.
 */
import { openapi } from "@elysiajs/openapi";
import { CompletionRequestSchema } from "../core/request";
import { CompletionAnswerSchema, ErrorSchema, HealthSchema, LiveSchema, ReadySchema, StreamChunkSchema } from "./response-schemas";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ "application/json": { schema: ref(name) } });
const requestIdHeader = {
  "x-request-id": { description: "the client's x-request-id, or one the service made", schema: { type: "string" } },
};

const FRONT_DOORS = /^\/v1\//;

/** The statuses a completion can fail with, and when. */
const COMPLETION_ERRORS: Record<number, string> = {
  400: "invalid_request (the body breaks the schema; `details` lists the fields) or upstream_invalid_request",
  401: "unauthorized: missing or invalid credentials (AUTH_MODE other than public)",
  404: "model_not_found: no such model in the mapping",
  413: "payload_too_large: the body is over BODY_LIMIT_BYTES",
  429: "rate_limited: every target rate-limited after retries; Retry-After passed on",
  500: "internal_error",
  502: "upstream_error: the provider failed or answered garbage",
  503: "unavailable: no healthy target, mapping not loaded, or shutting down",
  504: "upstream_timeout",
};

/** The plugin's type of the document (openapi-types), looser in practice than our literals. */
type Documentation = NonNullable<NonNullable<Parameters<typeof openapi>[0]>["documentation"]>;

export function apiDocsRoutes() {
  return openapi({
    path: "/api/docs",
    specPath: "/api/docs/json",
    documentation: documentation as Documentation,
    exclude: { paths: [FRONT_DOORS] },
  });
}

const documentation = {
  info: {
    title: "Completion Service",
    version: "v1",
    description:
      "One completions API over many LLM providers: answers as JSON, or streamed as NDJSON in one grammar whatever the provider. " +
      "One usage event per completion goes to RabbitMQ.",
  },
  components: {
    schemas: {
      CompletionRequest: CompletionRequestSchema,
      CompletionAnswer: CompletionAnswerSchema,
      StreamChunk: StreamChunkSchema,
      Error: ErrorSchema,
      Health: HealthSchema,
      Live: LiveSchema,
      Ready: ReadySchema,
    } as Record<string, object>,
    securitySchemes: {
      bearer: { type: "http", scheme: "bearer", description: "an API key or a JWT, by AUTH_MODE" },
      apiKey: { type: "apiKey", in: "header", name: "x-api-key" },
    },
  },
  paths: {
    "/api/v1/completions": {
      post: {
        operationId: "createCompletion",
        summary: "Run a completion",
        description: "With `stream: true` the answer is application/x-ndjson, one StreamChunk per line; otherwise one CompletionAnswer.",
        // No credentials in AUTH_MODE=public; a bearer token or x-api-key otherwise.
        security: [{}, { bearer: [] }, { apiKey: [] }] as Record<string, string[]>[],
        parameters: [{ name: "x-request-id", in: "header", required: false, schema: { type: "string" } }],
        requestBody: { required: true, content: json("CompletionRequest") },
        responses: {
          200: {
            description: "The answer: JSON, or an NDJSON stream (a stream that fails after its first line ends with an error chunk)",
            headers: requestIdHeader,
            content: { ...json("CompletionAnswer"), "application/x-ndjson": { schema: ref("StreamChunk") } },
          },
          ...Object.fromEntries(
            Object.entries(COMPLETION_ERRORS).map(([status, description]) => [
              status,
              { description, headers: requestIdHeader, content: json("Error") },
            ]),
          ),
        },
      },
    },
    "/api/v1/health": {
      get: {
        operationId: "getHealth",
        summary: "Health, with every check",
        responses: {
          200: { description: "serving: ok, or degraded (each check says why)", content: json("Health") },
          503: { description: "not serving: mapping not loaded, or draining", content: json("Health") },
        },
      },
    },
    "/api/v1/health/live": {
      get: {
        operationId: "getLiveness",
        summary: "Liveness: the process runs",
        responses: { 200: { description: "always, while the process runs", content: json("Live") } },
      },
    },
    "/api/v1/health/ready": {
      get: {
        operationId: "getReadiness",
        summary: "Readiness: take traffic or not",
        responses: {
          200: { description: "ready", content: json("Ready") },
          503: { description: "mapping not loaded, or draining", content: json("Ready") },
        },
      },
    },
    "/api/v1/limits": {
      get: {
        operationId: "getLimits",
        summary: "The calling key's or token's own rate limits and budgets, and what is left of them",
        security: [{}, { bearer: [] }, { apiKey: [] }] as Record<string, string[]>[],
        parameters: [
          { name: "userId", in: "query", required: false, description: "with perUser limits: whose counters", schema: { type: "string" } },
        ],
        responses: {
          200: {
            description: "each limit that applies to the caller: its value, what remains, and when it resets",
            headers: requestIdHeader,
            content: { "application/json": { schema: { type: "object", additionalProperties: true } } },
          },
          401: { description: "unauthorized", headers: requestIdHeader, content: json("Error") },
          404: { description: "not_found: no rate limits are configured", headers: requestIdHeader, content: json("Error") },
        },
      },
    },
    "/metrics": {
      get: {
        operationId: "getMetrics",
        summary: "Prometheus metrics",
        responses: { 200: { description: "Prometheus text exposition format", content: { "text/plain": { schema: { type: "string" } } } } },
      },
    },
  },
};
