/** POST /v1/chat/completions: the OpenAI Chat Completions API over our completion pipeline. */
import { Elysia } from "elysia";
import { doorContext, jsonResponse, openCompletion, readDoorBody, sseResponse, type FrontDoorOptions } from "../front-door";
import { completionToOpenAIChat } from "./completion-to-openai-chat";
import { OpenAIChatChunks } from "./events-to-openai-chat-chunks";
import { openAIChatRequestToCompletion } from "./openai-chat-request-to-completion";

export function openAIChatRoute(options: FrontDoorOptions) {
  return new Elysia({ name: "openai-chat-route" }).post(
    "/v1/chat/completions",
    async (raw) => {
      const ctx = doorContext(raw);
      const { request, includeUsage } = openAIChatRequestToCompletion(await readDoorBody(options, ctx.request));
      const execution = await openCompletion(options, ctx, request, "openai_chat");
      if (!execution) return new Response(null, { status: 499 });
      const id = `chatcmpl-${ctx.requestId.replace(/-/g, "")}`;
      if (!request.stream) return jsonResponse(completionToOpenAIChat(execution.response(id), id), ctx.requestId);
      return sseResponse(options, execution, new OpenAIChatChunks(id, request.model, includeUsage), ctx.requestId);
    },
    // The body is read by the handler: Elysia's parser would answer bad JSON in the wrong shape.
    { parse: "none" },
  );
}
