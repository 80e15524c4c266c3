/** Our request → the Mistral SDK's chat request (`stream` is set by the caller). */
import type { ChatCompletionRequest } from "@mistralai/mistralai/models/components";
import { GatewayError } from "../../core/errors";
import type { CompletionRequest, ResponseFormat, ToolChoice } from "../../core/request";
import type { RequestPlan } from "../provider-runner";
import { toolOffer } from "../tool-offer";
import { convertToMistralMessages } from "./convert-to-mistral-messages";

/** Mistral requires `parameters` on every function tool. */
const NO_PARAMETERS = { type: "object", properties: {} };

export function buildMistralRequest(request: CompletionRequest, deploymentName: string): RequestPlan<ChatCompletionRequest> {
  const body: ChatCompletionRequest = { model: deploymentName, messages: convertToMistralMessages(request.messages) };
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.topP = request.topP;
  if (request.maxOutputTokens !== undefined) body.maxTokens = request.maxOutputTokens;
  if (request.stop?.length) body.stop = request.stop;
  if (request.seed !== undefined) {
    if (!Number.isInteger(request.seed)) {
      throw new GatewayError("invalid_request", "mistral takes an integer seed", {
        details: [{ field: "seed", message: "must be an integer for provider mistral" }],
      });
    }
    body.randomSeed = request.seed;
  }
  if (request.presencePenalty !== undefined) body.presencePenalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) body.frequencyPenalty = request.frequencyPenalty;
  const offer = toolOffer(request);
  if (offer) {
    body.tools = offer.tools.map((t) => ({
      type: "function" as const,
      function: {
        name: t.name,
        parameters: t.parameters ?? NO_PARAMETERS,
        ...(t.description !== undefined && { description: t.description }),
      },
    }));
    if (offer.choice !== undefined) body.toolChoice = mistralToolChoice(offer.choice);
  }
  if (request.responseFormat) body.responseFormat = mistralResponseFormat(request.responseFormat);
  if (request.reasoningEffort !== undefined) body.reasoningEffort = request.reasoningEffort;
  return { body, warnings: request.topK !== undefined ? ["topK"] : [] };
}

function mistralToolChoice(choice: ToolChoice): ChatCompletionRequest["toolChoice"] {
  if (typeof choice !== "string") return { type: "function", function: { name: choice.name } };
  // Mistral's word for "must call a tool" is `any`.
  return choice === "required" ? "any" : choice;
}

function mistralResponseFormat(format: ResponseFormat): ChatCompletionRequest["responseFormat"] {
  if (format.type !== "json_schema") return { type: format.type };
  return {
    type: "json_schema",
    jsonSchema: {
      name: format.name ?? "response",
      schemaDefinition: format.schema,
      ...(format.strict !== undefined && { strict: format.strict }),
    },
  };
}
