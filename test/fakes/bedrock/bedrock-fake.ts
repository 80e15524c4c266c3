/**
 * A fake Bedrock runtime serving Claude through InvokeModel / InvokeModelWithResponseStream
 * (docs/providers-anthropic.md, Bedrock), byte for byte: real AWS event-stream frames (prelude,
 * headers, CRCs, via `@smithy/eventstream-codec`) whose `chunk` payload is
 * `{"bytes":"<base64 of one Anthropic event>","p":"<padding>"}`, the
 * `amazon-bedrock-invocationMetrics` on the last event, exception frames
 * (`:message-type: exception`), and HTTP errors typed by `x-amzn-ErrorType`. It verifies the
 * SigV4 signature of every request against the configured credentials and rejects what Bedrock
 * rejects in the body (`model`/`stream` present, `anthropic_version` missing, and the Anthropic
 * rules). Run standalone: `bun test/fakes/bedrock/bedrock-fake.ts`.
 */
import { EventStreamCodec, type MessageHeaders } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import {
  jsonResponse,
  startFakeUpstream,
  type FakeUpstream,
  type RecordedRequest,
  type ScriptedResponse,
  type Step,
} from "../fake-upstream";
import {
  anthropicClosingEvents,
  anthropicContentEvents,
  anthropicMessage,
  messagesBodyProblem,
  type AnthropicAnswer,
  type AnthropicEvent,
} from "../anthropic/anthropic-fake";
import { verifySigV4, type AwsCredentials, type SigV4Result } from "./sigv4-verifier";

export const BEDROCK_ANTHROPIC_VERSION = "bedrock-2023-05-31";

export type BedrockExceptionType =
  | "internalServerException"
  | "modelStreamErrorException"
  | "modelTimeoutException"
  | "serviceUnavailableException"
  | "throttlingException"
  | "validationException";

export interface BedrockAnswer extends AnthropicAnswer {
  /** After the content: an exception frame, then the end of the body. */
  exceptionAfterContent?: { type: BedrockExceptionType; message: string };
  /** Leave the Anthropic usage out, so only `amazon-bedrock-invocationMetrics` has counts. */
  metricsOnly?: boolean;
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const header = (value: string) => ({ type: "string" as const, value });

function frame(headers: MessageHeaders, payload: unknown): Uint8Array {
  return codec.encode({ headers, body: fromUtf8(JSON.stringify(payload)) });
}

/** One `chunk` event frame carrying one Anthropic event, with Bedrock's random-length padding. */
export function chunkFrame(event: Record<string, unknown>, padding = "abcdefghij"): Uint8Array {
  const bytes = Buffer.from(JSON.stringify(event), "utf8").toString("base64");
  return frame(
    { ":event-type": header("chunk"), ":content-type": header("application/json"), ":message-type": header("event") },
    { bytes, p: padding },
  );
}

export function exceptionFrame(type: BedrockExceptionType, message: string): Uint8Array {
  return frame(
    { ":exception-type": header(type), ":content-type": header("application/json"), ":message-type": header("exception") },
    { message },
  );
}

/** An HTTP error as Bedrock sends it: the type in `x-amzn-ErrorType`, `{"message"}` in the body. */
export function bedrockError(status: number, errorType: string, message: string, headers: Record<string, string> = {}): ScriptedResponse {
  return jsonResponse(
    status,
    { message },
    {
      "x-amzn-errortype": `${errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
      "x-amzn-requestid": "9b1c3b6e-0000-4000-8000-fakerequest",
      ...headers,
    },
  );
}

function metrics(answer: AnthropicAnswer): Record<string, number> {
  const u = answer.usage ?? { input: 12, output: 30 };
  return { inputTokenCount: u.input, outputTokenCount: u.output, invocationLatency: 812, firstByteLatency: 345 };
}

export function bedrockStreamResponse(modelId: string, answer: BedrockAnswer): ScriptedResponse {
  const events: AnthropicEvent[] = anthropicContentEvents(modelId, { noPings: true, ...answer }, "msg_bdrk_01fake");
  if (answer.metricsOnly) {
    const start = events[0]!.data as { message: { usage?: unknown } };
    delete start.message.usage;
  }
  const steps: Step[] = [];
  const push = (bytes: Uint8Array) => {
    if (answer.chunkDelayMs) steps.push({ delayMs: answer.chunkDelayMs });
    steps.push({ write: bytes });
  };
  // Padding of varying length, as Bedrock sends it.
  events.forEach((e, i) => push(chunkFrame(e.data, "abcdefghijklmnopqrstuvwxyz".slice(0, 3 + (i % 20)))));
  if (answer.exceptionAfterContent) {
    push(exceptionFrame(answer.exceptionAfterContent.type, answer.exceptionAfterContent.message));
  } else if (answer.midStreamError) {
    push(chunkFrame({ type: "error", error: answer.midStreamError }));
  } else if (answer.resetAfterContent) {
    steps.push({ delayMs: 50 }, { reset: true });
  } else if (answer.hangAfterContent) {
    steps.push({ hang: true });
  } else {
    const [messageDelta, messageStop] = anthropicClosingEvents(answer, answer.metricsOnly);
    push(chunkFrame(messageDelta!.data));
    push(chunkFrame({ ...messageStop!.data, "amazon-bedrock-invocationMetrics": metrics(answer) }));
  }
  return {
    status: 200,
    headers: {
      "content-type": "application/vnd.amazon.eventstream",
      "x-amzn-bedrock-content-type": "application/json",
      "x-amzn-requestid": "9b1c3b6e-0000-4000-8000-fakerequest",
    },
    body: steps,
  };
}

export function bedrockInvokeResponse(modelId: string, answer: BedrockAnswer): ScriptedResponse {
  const u = answer.usage ?? { input: 12, output: 30 };
  return jsonResponse(200, anthropicMessage(modelId, answer, "msg_bdrk_01fake"), {
    "x-amzn-bedrock-input-token-count": String(u.input),
    "x-amzn-bedrock-output-token-count": String(u.output),
    "x-amzn-bedrock-invocation-latency": "812",
    "x-amzn-requestid": "9b1c3b6e-0000-4000-8000-fakerequest",
  });
}

export interface BedrockFakeOptions {
  region: string;
  credentials: AwsCredentials;
  answer?: (request: RecordedRequest, modelId: string) => BedrockAnswer | ScriptedResponse;
  port?: number;
}

export type BedrockFake = FakeUpstream & {
  answer(fn: NonNullable<BedrockFakeOptions["answer"]>): void;
  /** The signature check of each request, in order. */
  signatures: SigV4Result[];
  /** The model id of each request, decoded from the path. */
  modelIds: string[];
};

const PATH = /^\/model\/([^/]+)\/(invoke|invoke-with-response-stream)$/;

export function bedrockBodyProblem(body: any): string | null {
  if (!body || typeof body !== "object") return "Malformed input request, please reformat your input and try again.";
  if (body.anthropic_version !== BEDROCK_ANTHROPIC_VERSION)
    return "Malformed input request: #: required key [anthropic_version] not found, please reformat your input and try again.";
  for (const key of ["model", "stream"]) {
    if (key in body)
      return `Malformed input request: #: extraneous key [${key}] is not permitted, please reformat your input and try again.`;
  }
  return messagesBodyProblem(body);
}

export async function startBedrockFake(options: BedrockFakeOptions): Promise<BedrockFake> {
  let answerFn = options.answer ?? (() => ({ blocks: [{ type: "text" as const, pieces: ["Hello", " from", " Bedrock"] }] }));
  const signatures: SigV4Result[] = [];
  const modelIds: string[] = [];
  const fake = await startFakeUpstream((req) => {
    const match = PATH.exec(req.url.split("?")[0]!);
    if (req.method !== "POST" || !match) return bedrockError(404, "UnknownOperationException", "Unknown operation");
    const signature = verifySigV4(req, options.credentials, { region: options.region, service: "bedrock" });
    signatures.push(signature);
    if (!signature.ok)
      return bedrockError(signature.errorType === "IncompleteSignatureException" ? 400 : 403, signature.errorType, signature.reason);
    const modelId = decodeURIComponent(match[1]!);
    modelIds.push(modelId);
    const problem = bedrockBodyProblem(req.body);
    if (problem) return bedrockError(400, "ValidationException", problem);
    const answer = answerFn(req, modelId);
    if ("status" in answer || "body" in answer) return answer as ScriptedResponse;
    return match[2] === "invoke"
      ? bedrockInvokeResponse(modelId, answer as BedrockAnswer)
      : bedrockStreamResponse(modelId, answer as BedrockAnswer);
  }, options.port);
  return Object.assign(fake, {
    signatures,
    modelIds,
    answer(fn: NonNullable<BedrockFakeOptions["answer"]>) {
      answerFn = fn;
    },
  });
}

if (import.meta.main) {
  const credentials = {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "AKIDFAKE",
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "fake-secret",
  };
  const region = process.env.AWS_REGION ?? "us-east-1";
  const fake = await startBedrockFake({ region, credentials, port: Number(process.env.PORT ?? 8083) });
  console.log(
    `fake Bedrock runtime on ${fake.url} (region ${region}, access key ${credentials.accessKeyId}; set the mapping's endpoint to it)`,
  );
}
