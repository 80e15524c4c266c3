/** POST /v1/messages: the Anthropic Messages API over our completion pipeline. */
import { Elysia } from "elysia";
import { answerCompletion } from "../answer-completion";
import { doorResponse, readDoorBody, type FrontDoorOptions } from "../front-door";
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
        return doorResponse(answer, requestId, {
          json: (folded) => completionToAnthropicMessage(folded.response(id, request.model), id),
          stream: () => new AnthropicMessageEvents(id, request.model, requestId),
        });
      },
      // The body is read by the handler: Elysia's parser would answer bad JSON in the wrong shape.
      { parse: "none" },
    );
}
