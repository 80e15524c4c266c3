/** POST /v1/chat/completions: the OpenAI Chat Completions API over our completion pipeline. */
import { Elysia } from "elysia";
import { answerCompletion } from "../answer-completion";
import { jsonResponse, readDoorBody, sseResponse, type FrontDoorOptions } from "../front-door";
import { completionToOpenAIChat } from "./completion-to-openai-chat";
import { OpenAIChatChunks } from "./events-to-openai-chat-chunks";
import { openAIChatRequestToCompletion } from "./openai-chat-request-to-completion";

export function openAIChatRoute(options: FrontDoorOptions) {
  return new Elysia({ name: "openai-chat-route" })
    .use(options.context)
    .use(options.guard)
    .post(
      "/v1/chat/completions",
      // Destructured, never passed whole (see completions-route.ts).
      async ({ request: httpRequest, requestId, receivedAt, log, auth }) => {
        const { request, includeUsage } = openAIChatRequestToCompletion(await readDoorBody(options, httpRequest));
        const answer = await answerCompletion(options, { request: httpRequest, requestId, receivedAt, log, auth }, request, "openai_chat");
        const id = `chatcmpl-${requestId.replace(/-/g, "")}`;
        switch (answer.kind) {
          case "json":
            return jsonResponse(completionToOpenAIChat(answer.folded.response(id, request.model), id), requestId);
          case "stream":
            return sseResponse(answer, new OpenAIChatChunks(id, request.model, includeUsage), requestId);
          case "failed":
            throw answer.error; // answered in the door's shape by its error hook
          case "gone":
            return new Response(null, { status: 499 });
        }
      },
      // The body is read by the handler: Elysia's parser would answer bad JSON in the wrong shape.
      { parse: "none" },
    );
}
