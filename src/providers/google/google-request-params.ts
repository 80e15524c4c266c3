/** Our request → the `@google/genai` parameters of one `generateContent` call. */
import {
  FunctionCallingConfigMode,
  ThinkingLevel,
  type FunctionCallingConfig,
  type GenerateContentConfig,
  type GenerateContentParameters,
  type ThinkingConfig,
} from "@google/genai";
import { GatewayError } from "../../core/errors";
import type { CompletionRequest, ToolChoice } from "../../core/request";
import { toolOffer } from "../tool-offer";
import { convertToGoogleContents } from "./convert-to-google-contents";
import { geminiModelTraits, type GeminiModelTraits } from "./gemini-model-generation";
import type { RequestPlan } from "../provider-runner";

/** `thinkingBudget` per effort for Gemini 2.5 (within every 2.5 model's allowed range). */
export const THINKING_BUDGET = { low: 1024, medium: 8192, high: 24576 } as const;
/** `thinkingLevel` per effort for Gemini 3 and later. */
export const THINKING_LEVEL = { low: ThinkingLevel.LOW, medium: ThinkingLevel.MEDIUM, high: ThinkingLevel.HIGH } as const;

/** The SDK's parameters; the sender adds the call's `abortSignal` to `config`. */
export type GoogleRequestParams = GenerateContentParameters & { config: GenerateContentConfig };

export function buildGoogleRequest(request: CompletionRequest, deploymentName: string): RequestPlan<GoogleRequestParams> {
  if (/\.\.|[?&]/.test(deploymentName)) {
    // The SDK would refuse it with a bare Error; the mapping is at fault, not the client.
    throw new GatewayError("upstream_error", `google deployment name "${deploymentName}" is not a valid model id`);
  }
  const traits = geminiModelTraits(deploymentName);
  const { systemInstruction, contents } = convertToGoogleContents(request.messages, {
    needsThoughtSignatures: traits.needsThoughtSignatures,
  });
  const config: GenerateContentConfig = {
    // The SDK would otherwise reopen dropped streams and chain requests by itself; routing and
    // retries are ours.
    automaticContinuation: false,
  };
  if (systemInstruction) config.systemInstruction = systemInstruction;
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.topP !== undefined) config.topP = request.topP;
  if (request.topK !== undefined) config.topK = request.topK;
  if (request.maxOutputTokens !== undefined) config.maxOutputTokens = request.maxOutputTokens;
  if (request.stop?.length) config.stopSequences = request.stop;
  if (request.seed !== undefined) config.seed = request.seed;
  if (request.presencePenalty !== undefined) config.presencePenalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) config.frequencyPenalty = request.frequencyPenalty;

  const offer = toolOffer(request);
  if (offer) {
    config.tools = [
      {
        functionDeclarations: offer.tools.map((t) => ({
          name: t.name,
          ...(t.description !== undefined && { description: t.description }),
          // Full JSON Schema, as the client wrote it (v1beta); `parameters` takes only an OpenAPI subset.
          ...(t.parameters !== undefined && { parametersJsonSchema: t.parameters }),
        })),
      },
    ];
    if (offer.choice !== undefined) config.toolConfig = { functionCallingConfig: functionCallingConfig(offer.choice) };
  }

  const format = request.responseFormat;
  if (format && format.type !== "text") {
    config.responseMimeType = "application/json";
    if (format.type === "json_schema") config.responseJsonSchema = format.schema;
  }
  if (request.reasoningEffort !== undefined) config.thinkingConfig = thinkingConfig(request.reasoningEffort, traits);
  return { body: { model: deploymentName, contents, config }, warnings: [] };
}

function functionCallingConfig(choice: ToolChoice): FunctionCallingConfig {
  if (choice === "auto") return { mode: FunctionCallingConfigMode.AUTO };
  if (choice === "none") return { mode: FunctionCallingConfigMode.NONE };
  if (choice === "required") return { mode: FunctionCallingConfigMode.ANY };
  return { mode: FunctionCallingConfigMode.ANY, allowedFunctionNames: [choice.name] };
}

function thinkingConfig(effort: "low" | "medium" | "high", traits: GeminiModelTraits): ThinkingConfig {
  // Gemini 3 still accepts a budget, so a name that does not say its generation gets one.
  return traits.thinkingLevel ? { thinkingLevel: THINKING_LEVEL[effort] } : { thinkingBudget: THINKING_BUDGET[effort] };
}
