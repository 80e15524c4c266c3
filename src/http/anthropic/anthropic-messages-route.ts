/** POST /v1/messages: the Anthropic Messages API over our completion pipeline. */
import { Elysia } from "elysia";
import { doorContext, jsonResponse, openCompletion, readDoorBody, sseResponse, type FrontDoorOptions } from "../front-door";
import { anthropicMessagesRequestToCompletion } from "./anthropic-messages-request-to-completion";
import { completionToAnthropicMessage } from "./completion-to-anthropic-message";
import { AnthropicMessageEvents } from "./events-to-anthropic-sse";

export function anthropicMessagesRoute(options: FrontDoorOptions) {
  return new Elysia({ name: "anthropic-messages-route" }).post(
    "/v1/messages",
    async (raw) => {
      const ctx = doorContext(raw);
      const request = anthropicMessagesRequestToCompletion(await readDoorBody(options, ctx.request));
      const execution = await openCompletion(options, ctx, request, "anthropic_messages");
      if (!execution) return new Response(null, { status: 499 });
      const id = `msg_${ctx.requestId.replace(/-/g, "")}`;
      if (!request.stream) return jsonResponse(completionToAnthropicMessage(execution.response(id), id), ctx.requestId);
      return sseResponse(options, execution, new AnthropicMessageEvents(id, request.model, ctx.requestId), ctx.requestId);
    },
    // The body is read by the handler: Elysia's parser would answer bad JSON in the wrong shape.
    { parse: "none" },
  );
}
