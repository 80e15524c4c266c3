/** POST /v1/messages: the Anthropic Messages API over our completion pipeline. */
import { Elysia } from "elysia";
import { answerCompletion } from "../answer-completion";
import { jsonResponse, readDoorBody, sseResponse, type FrontDoorOptions } from "../front-door";
import { anthropicMessagesRequestToCompletion } from "./anthropic-messages-request-to-completion";
import { completionToAnthropicMessage } from "./completion-to-anthropic-message";
import { AnthropicMessageEvents } from "./events-to-anthropic-sse";

export function anthropicMessagesRoute(options: FrontDoorOptions) {
  return new Elysia({ name: "anthropic-messages-route" })
    .use(options.context)
    .use(options.guard)
    .post(
      "/v1/messages",
      // Destructured, never passed whole (see completions-route.ts).
      async ({ request: httpRequest, requestId, receivedAt, log, auth }) => {
        const request = anthropicMessagesRequestToCompletion(await readDoorBody(options, httpRequest));
        const answer = await answerCompletion(
          options,
          { request: httpRequest, requestId, receivedAt, log, auth },
          request,
          "anthropic_messages",
        );
        const id = `msg_${requestId.replace(/-/g, "")}`;
        switch (answer.kind) {
          case "json":
            return jsonResponse(completionToAnthropicMessage(answer.folded.response(id, request.model), id), requestId);
          case "stream":
            return sseResponse(answer, new AnthropicMessageEvents(id, request.model, requestId), requestId);
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
