/** POST /v1/chat/completions: the OpenAI Chat Completions API over our completion pipeline. */
import { Elysia } from "elysia";
import { answerCompletion } from "../answer-completion";
import { doorResponse, readDoorBody, type FrontDoorOptions } from "../front-door";
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
        return doorResponse(answer, requestId, {
          json: (folded) => completionToOpenAIChat(folded.response(id, request.model), id),
          stream: () => new OpenAIChatChunks(id, request.model, includeUsage),
        });
      },
      // The body is read by the handler: Elysia's parser would answer bad JSON in the wrong shape.
      { parse: "none" },
    );
}
