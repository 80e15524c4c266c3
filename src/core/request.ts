/**
 * The completion request (docs/api.md): the TypeBox schema is both the validator and the type.
 * Every object is closed (`additionalProperties: false`) so an unknown field is an error.
 */
import { Type as T, type Static } from "@sinclair/typebox";

const closed = { additionalProperties: false } as const;

export const TextPart = T.Object({ type: T.Literal("text"), text: T.String() }, closed);
export const ImagePart = T.Object({ type: T.Literal("image"), url: T.String({ pattern: "^(https:|data:)" }) }, closed);
export const ContentPart = T.Union([TextPart, ImagePart]);

export const ToolCallInHistory = T.Object(
  { id: T.String({ minLength: 1 }), name: T.String({ minLength: 1 }), arguments: T.String() },
  closed,
);

export const SystemMessage = T.Object({ role: T.Union([T.Literal("system"), T.Literal("developer")]), content: T.String() }, closed);
export const UserMessage = T.Object(
  { role: T.Literal("user"), content: T.Union([T.String(), T.Array(ContentPart, { minItems: 1 })]) },
  closed,
);
export const AssistantMessage = T.Object(
  {
    role: T.Literal("assistant"),
    content: T.Optional(T.Union([T.String(), T.Null()])),
    toolCalls: T.Optional(T.Array(ToolCallInHistory)),
  },
  closed,
);
export const ToolMessage = T.Object({ role: T.Literal("tool"), toolCallId: T.String({ minLength: 1 }), content: T.String() }, closed);
export const Message = T.Union([SystemMessage, UserMessage, AssistantMessage, ToolMessage]);

const JsonSchemaObject = T.Record(T.String(), T.Unknown());

export const ToolDefinition = T.Object(
  {
    name: T.String({ minLength: 1, pattern: "^[a-zA-Z0-9_.-]{1,128}$" }),
    description: T.Optional(T.String()),
    parameters: T.Optional(JsonSchemaObject),
  },
  closed,
);
/** The OpenAI shape `{ type: "function", function: {...} }`, accepted as well. */
export const OpenAIToolDefinition = T.Object({ type: T.Literal("function"), function: ToolDefinition }, closed);

export const ToolChoice = T.Union([
  T.Literal("auto"),
  T.Literal("none"),
  T.Literal("required"),
  T.Object({ name: T.String({ minLength: 1 }) }, closed),
]);

export const ResponseFormat = T.Union([
  T.Object({ type: T.Literal("text") }, closed),
  T.Object({ type: T.Literal("json_object") }, closed),
  T.Object(
    {
      type: T.Literal("json_schema"),
      name: T.Optional(T.String({ minLength: 1 })),
      schema: JsonSchemaObject,
      strict: T.Optional(T.Boolean()),
    },
    closed,
  ),
]);

export const CompletionRequestSchema = T.Object(
  {
    model: T.String({ minLength: 1 }),
    messages: T.Array(Message, { minItems: 1 }),
    stream: T.Optional(T.Boolean()),
    temperature: T.Optional(T.Number({ minimum: 0, maximum: 2 })),
    topP: T.Optional(T.Number({ minimum: 0, maximum: 1 })),
    topK: T.Optional(T.Integer({ minimum: 1 })),
    maxOutputTokens: T.Optional(T.Integer({ minimum: 1 })),
    stop: T.Optional(T.Union([T.String(), T.Array(T.String())])),
    seed: T.Optional(T.Number()),
    presencePenalty: T.Optional(T.Number()),
    frequencyPenalty: T.Optional(T.Number()),
    tools: T.Optional(T.Array(T.Union([ToolDefinition, OpenAIToolDefinition]))),
    toolChoice: T.Optional(ToolChoice),
    responseFormat: T.Optional(ResponseFormat),
    reasoningEffort: T.Optional(T.Union([T.Literal("low"), T.Literal("medium"), T.Literal("high")])),
    context: T.Optional(T.Record(T.String(), T.Unknown())),
  },
  closed,
);

export type RawCompletionRequest = Static<typeof CompletionRequestSchema>;
export type Message = Static<typeof Message>;
export type ContentPart = Static<typeof ContentPart>;
export type ToolChoice = Static<typeof ToolChoice>;
export type ResponseFormat = Static<typeof ResponseFormat>;

export interface Tool {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

/** The request as adapters see it: tools in one shape, `stop` always a list. */
export interface CompletionRequest extends Omit<RawCompletionRequest, "tools" | "stop" | "stream"> {
  stream: boolean;
  tools?: Tool[];
  stop?: string[];
}

export function normalizeRequest(raw: RawCompletionRequest): CompletionRequest {
  const { tools, stop, stream, ...rest } = raw;
  const request: CompletionRequest = { ...rest, stream: stream ?? false };
  if (tools) request.tools = tools.map((t) => ("function" in t ? t.function : t));
  if (stop !== undefined) request.stop = typeof stop === "string" ? [stop] : stop;
  return request;
}
