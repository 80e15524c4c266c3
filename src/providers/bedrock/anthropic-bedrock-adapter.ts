/**
 * `anthropic_bedrock`: Claude on AWS Bedrock through InvokeModel / InvokeModelWithResponseStream
 * and the official AWS SDK (SigV4 signing, event-stream decoding). Only transport and auth differ
 * from `anthropic`: the body is the Anthropic Messages body with `anthropic_version` in place of
 * `model` and `stream`, and each stream frame's `bytes` is one Anthropic event, fed to the same
 * translator.
 */
import {
  BedrockRuntimeClient,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  type InvokeModelCommandOutput,
  type InvokeModelWithResponseStreamCommandOutput,
  type ResponseStream,
} from "@aws-sdk/client-bedrock-runtime";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import type { AnthropicBedrockConfig } from "./anthropic-bedrock-provider";
import { GatewayError } from "../../core/errors";
import { buildAnthropicMessagesBody } from "../anthropic/anthropic-request-body";
import {
  AnthropicResponseTranslator,
  type AnthropicMessageLike,
  type AnthropicStreamEventLike,
} from "../anthropic/anthropic-response-to-events";
import type { ProviderAdapter } from "../provider-adapter";
import { runProvider } from "../provider-runner";
import { upstreamLimits } from "../upstream-limits";
import { BoundedHttpHandler } from "./bounded-http-handler";
import { bedrockOwnError, describeBedrockFailure } from "./describe-bedrock-failure";

export const BEDROCK_ANTHROPIC_VERSION = "bedrock-2023-05-31";
/** The SDK's own default: instance metadata answers in milliseconds on EC2. */
const INSTANCE_METADATA_TIMEOUT_MS = 1000;

type CredentialsProvider = ReturnType<typeof defaultProvider>;
type Credentials = Awaited<ReturnType<CredentialsProvider>>;

export function bedrockEndpoint(region: string): string {
  return `https://bedrock-runtime.${region}.amazonaws.com`;
}

/** The key pair the mapping gives, if it gives one (the mapping checks both come together). */
function mappingCredentials(config: AnthropicBedrockConfig): Credentials | null {
  if (!config.accessKeyId || !config.secretAccessKey) return null;
  return {
    accessKeyId: config.accessKeyId,
    secretAccessKey: config.secretAccessKey,
    ...(config.sessionToken && { sessionToken: config.sessionToken }),
  };
}

/**
 * Without keys in the mapping: the AWS SDK's default chain (environment variables, shared
 * profile, web identity as on EKS, container then instance metadata), so no long-lived key has to
 * sit in the mapping; temporary credentials are refreshed by the chain before they expire. When
 * no link finds credentials the request fails with a clear error, marked as the service's
 * credentials failing so the target is set aside like one whose key is refused. Outside AWS the
 * last link, instance metadata, gives up after its one-second timeout (twice: IMDSv2, then v1),
 * or at once when `AWS_EC2_METADATA_DISABLED=true`.
 */
function defaultChainCredentials(): CredentialsProvider {
  const chain = defaultProvider({ timeout: INSTANCE_METADATA_TIMEOUT_MS, maxRetries: 0 });
  return async (options) => {
    try {
      return await chain(options);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new GatewayError(
        "upstream_error",
        `anthropic_bedrock has no AWS credentials: the mapping sets no accessKeyId/secretAccessKey and the AWS default credential chain found none (${why})`,
        { credentialsRejected: true, cause: error },
      );
    }
  };
}

export function createBedrockClient(config: AnthropicBedrockConfig): BedrockRuntimeClient {
  const region = config.region;
  const client = new BedrockRuntimeClient({
    region,
    endpoint: config.endpoint ?? bedrockEndpoint(region),
    credentials: mappingCredentials(config) ?? defaultChainCredentials(),
    maxAttempts: 1,
    // HTTP/1.1 with pooled keep-alive connections: the client's default HTTP/2 handler is only
    // needed for bidirectional streams, and the default pool of 50 sockets would queue requests.
    // Answers are bounded underneath the SDK, which reads them.
    requestHandler: new BoundedHttpHandler(
      { httpAgent: { keepAlive: true, maxSockets: Infinity }, httpsAgent: { keepAlive: true, maxSockets: Infinity } },
      "anthropic_bedrock",
      upstreamLimits(config),
    ),
    // Settled here rather than read from AWS_* variables and ~/.aws files.
    authSchemePreference: ["sigv4"],
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
    defaultsMode: "standard",
    retryMode: "standard",
  });
  const headers = config.headers;
  if (headers && Object.keys(headers).length) {
    // Added before signing, so they are signed like the rest.
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers) Object.assign(request.headers, headers);
        return next(args);
      },
      { step: "build", name: "mappingHeaders" },
    );
  }
  return client;
}

const EXCEPTION_MEMBERS = [
  "internalServerException",
  "modelStreamErrorException",
  "modelTimeoutException",
  "serviceUnavailableException",
  "throttlingException",
  "validationException",
] as const;

/** An exception delivered as a union member rather than thrown (the SDK throws them today). */
function exceptionOf(event: ResponseStream): { name: string; message?: string } | null {
  for (const member of EXCEPTION_MEMBERS) {
    const value = (event as unknown as Record<string, { message?: string } | undefined>)[member];
    if (value) return { name: member, message: value.message };
  }
  return null;
}

/**
 * The stream's frames: each chunk's `bytes` is one Anthropic event. An exception member is thrown
 * as the error it names; a frame type added later is skipped.
 */
async function* bedrockFrames(body: AsyncIterable<ResponseStream>): AsyncGenerator<readonly AnthropicStreamEventLike[], void, undefined> {
  const decoder = new TextDecoder();
  const one: AnthropicStreamEventLike[] = [];
  for await (const event of body) {
    const bytes = event.chunk?.bytes;
    if (bytes === undefined) {
      const exception = exceptionOf(event);
      if (exception) throw Object.assign(new Error(exception.message ?? exception.name), { name: exception.name });
      continue;
    }
    one[0] = JSON.parse(decoder.decode(bytes)) as AnthropicStreamEventLike;
    yield one;
  }
}

type BedrockAnswer = InvokeModelCommandOutput | InvokeModelWithResponseStreamCommandOutput;

export function createAnthropicBedrockAdapter(config: AnthropicBedrockConfig): ProviderAdapter {
  const type = "anthropic_bedrock";
  const client = createBedrockClient(config);
  const decoder = new TextDecoder();
  return runProvider({
    type,
    buildRequest: (request) => buildAnthropicMessagesBody(request, type),
    send: (plan, request, call): Promise<BedrockAnswer> => {
      const payload = JSON.stringify({ anthropic_version: BEDROCK_ANTHROPIC_VERSION, ...plan.body });
      const input = { modelId: call.deploymentName, body: payload, contentType: "application/json", accept: "application/json" };
      const command = request.stream ? new InvokeModelWithResponseStreamCommand(input) : new InvokeModelCommand(input);
      return client.send(command as InvokeModelCommand, { abortSignal: call.signal });
    },
    readAnswer: (response) => JSON.parse(decoder.decode((response as InvokeModelCommandOutput).body)) as AnthropicMessageLike,
    readFrames: (response) => {
      const body = (response as InvokeModelWithResponseStreamCommandOutput).body;
      if (!body) throw new GatewayError("upstream_error", `${type} answered without a stream`, { retryable: true });
      return bedrockFrames(body);
    },
    translator: (plan) => new AnthropicResponseTranslator(type, plan.jsonToolName),
    describeFailure: describeBedrockFailure,
    ownError: bedrockOwnError,
  });
}
