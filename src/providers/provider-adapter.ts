/** What every provider implements: our request in, our adapter events out. */
import type { AdapterYield } from "../core/events";
import type { CompletionRequest } from "../core/request";
import type { Logger } from "../observability/logger";
import type { ProviderConfig, ProviderType } from "./providers";

export interface ProviderCall {
  /** What the provider is asked for (model id, deployment). */
  deploymentName: string;
  /** Aborted when the client goes away or a timeout fires; must reach the SDK call. */
  signal: AbortSignal;
  requestId: string;
  logger: Logger;
  /**
   * Call when the provider's response headers arrived (streaming requests): it ends the connect
   * timeout, so routing can tell a dead connection from a slow first token. Optional to call;
   * see `reportsResponseHeaders`.
   */
  onResponseHeaders?: () => void;
}

export interface ProviderAdapter {
  readonly type: ProviderType;
  /**
   * True when `complete` calls `call.onResponseHeaders` on streaming requests. Only then does the
   * default connect timeout apply; without it the first upstream event is the first sign of life.
   */
  readonly reportsResponseHeaders?: boolean;
  /**
   * Calls the provider (streaming upstream when `request.stream`, else one JSON call) and yields
   * our events, one at a time or in batches (`AdapterYield`). Failures are thrown as `GatewayError`s with the contract's codes (and
   * `retryable` set for what routing may retry); the iterator may throw at any point.
   */
  complete(request: CompletionRequest, call: ProviderCall): AsyncIterable<AdapterYield>;
}

/** Builds one adapter (and so one SDK client, reused across requests) per configured provider. */
export type ProviderAdapterFactory = (config: ProviderConfig, providerId: string) => ProviderAdapter;
