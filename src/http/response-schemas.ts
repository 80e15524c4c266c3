/**
 * TypeBox schemas of what the service answers: the JSON answer, the NDJSON chunks, errors and
 * health. They describe the API in its OpenAPI document (`api-docs-route.ts`); the responses are
 * not validated against them at run time (the hot path writes its JSON directly), a test checks
 * real answers against them instead.
 */
import { Type as T, type TSchema } from "@sinclair/typebox";
import type { ErrorCode } from "../core/errors";
import type { ChunkEvent } from "../core/events";

const closed = { additionalProperties: false };

export const FinishReasonSchema = T.Union(
  [T.Literal("stop"), T.Literal("length"), T.Literal("tool_calls"), T.Literal("content_filter"), T.Literal("error")],
  { description: "why the answer ended" },
);

const usageFields = {
  inputTokens: T.Integer({ minimum: 0, description: "all input tokens, cached or not" }),
  outputTokens: T.Integer({ minimum: 0, description: "all output tokens, reasoning included" }),
  reasoningTokens: T.Optional(T.Integer({ minimum: 0, description: "the reasoning part of outputTokens" })),
  cachedInputTokens: T.Optional(T.Integer({ minimum: 0, description: "the part of inputTokens read from cache" })),
};

export const UsageSchema = T.Object(usageFields, { ...closed, title: "Usage" });

export const ToolCallOutputSchema = T.Object(
  { type: T.Literal("tool_call"), id: T.String(), name: T.String(), arguments: T.String({ description: "JSON text" }) },
  { ...closed, title: "ToolCall" },
);

export const CompletionAnswerSchema = T.Object(
  {
    id: T.String(),
    outputText: T.String(),
    output: T.Array(ToolCallOutputSchema, { description: "the tool calls, in order" }),
    usage: UsageSchema,
    model: T.String({ description: "the requested model name" }),
    finishReason: FinishReasonSchema,
  },
  { ...closed, title: "CompletionAnswer", description: "The answer of a completion with stream false" },
);

/** One schema per chunk type, keyed by the type (checked against `ChunkEvent` at compile time). */
const chunkTypes: { [K in ChunkEvent["type"]]: TSchema } = {
  text_delta_start: T.Object({ type: T.Literal("text_delta_start"), content: T.String() }, closed),
  text_delta: T.Object({ type: T.Literal("text_delta"), content: T.String() }, closed),
  text_delta_end: T.Object({ type: T.Literal("text_delta_end"), content: T.Literal("") }, closed),
  tool_call_start: T.Object({ type: T.Literal("tool_call_start"), id: T.String(), name: T.String() }, closed),
  tool_call_delta: T.Object({ type: T.Literal("tool_call_delta"), id: T.String(), arguments: T.String() }, closed),
  tool_call_end: T.Object({ type: T.Literal("tool_call_end"), id: T.String(), name: T.String(), arguments: T.String() }, closed),
  usage: T.Object({ type: T.Literal("usage"), ...usageFields }, closed),
  finish: T.Object({ type: T.Literal("finish"), finishReason: FinishReasonSchema }, closed),
  error: T.Object({ type: T.Literal("error"), code: T.String(), message: T.String() }, closed),
};

/** One NDJSON line: exactly one of the chunk types, told apart by `type`. */
export const StreamChunkSchema = T.Unsafe<ChunkEvent>({
  title: "StreamChunk",
  description:
    "One line of the application/x-ndjson stream. Text blocks open with text_delta_start and close with text_delta_end; " +
    "tool calls with tool_call_start and tool_call_end; then exactly one usage and one finish, last. After an error line, only usage and finish.",
  oneOf: Object.values(chunkTypes),
  discriminator: { propertyName: "type" },
});

export const StreamChunkTypes = Object.keys(chunkTypes);

/** Every code the service answers with (checked against `ErrorCode` at compile time). */
const ERROR_CODES: { [K in ErrorCode]: true } = {
  invalid_request: true,
  upstream_invalid_request: true,
  unauthorized: true,
  model_not_found: true,
  not_found: true,
  payload_too_large: true,
  unsupported_media_type: true,
  rate_limited: true,
  upstream_error: true,
  unavailable: true,
  upstream_timeout: true,
  internal_error: true,
};

export const ErrorSchema = T.Object(
  {
    statusCode: T.Integer(),
    error: T.String({ description: "the HTTP reason phrase" }),
    code: T.Union(Object.keys(ERROR_CODES).map((c) => T.Literal(c))),
    message: T.String(),
    requestId: T.String(),
    details: T.Optional(T.Array(T.Object({ field: T.String(), message: T.String() }, closed))),
  },
  { ...closed, title: "Error", description: "Every error answer, 4xx and 5xx" },
);

export const HealthSchema = T.Object(
  {
    status: T.Union([T.Literal("ok"), T.Literal("degraded"), T.Literal("unavailable")]),
    version: T.Optional(T.String({ description: "the running build's version" })),
    commit: T.Optional(T.Union([T.String(), T.Null()], { description: "the git commit it was built from" })),
    checks: T.Record(T.String(), T.Unknown(), { description: "mapping, usageEvents, targets, draining, activeStreams" }),
  },
  { ...closed, title: "Health" },
);

export const LiveSchema = T.Object({ status: T.Literal("alive") }, closed);
export const ReadySchema = T.Object({ status: T.Union([T.Literal("ready"), T.Literal("unavailable")]) }, closed);
