/**
 * The one loop every provider runs in. A provider is a set of pure parts (`ProviderParts`):
 * build the request, send it, read a whole answer or the stream's frames, translate them to our
 * events, classify its failures. The runner owns what they would otherwise each repeat:
 *
 * - the dropped-parameter warnings of the request builder, logged once at debug;
 * - `onResponseHeaders` when a stream opened, so routing can tell a dead connection from a slow
 *   first token;
 * - one batch of events per upstream read (`AdapterYield`), with the batch array reused;
 * - a stream that ended because our signal fired did not end well, whatever the SDK says;
 * - failures: classified once (`classify-failure.ts`), with the phase they happened in and what
 *   the provider's `describeFailure` recognises in them.
 */
import type { ProviderType } from "./providers";
import { GatewayError } from "../core/errors";
import type { AdapterEvent, AdapterYield } from "../core/events";
import type { CompletionRequest } from "../core/request";
import type { ProviderAdapter, ProviderCall } from "./provider-adapter";
import { classifyFailure, type FailureParts, type Phase } from "./classify-failure";
import { frameBatches } from "./wire/frame-batches";

/** The total timeout of an upstream call when the mapping sets no `timeoutMs`. */
export const DEFAULT_TIMEOUT_MS = 600_000;

/**
 * What a request builder returns: the provider's body and the parameters it dropped or adjusted
 * (e.g. `topK`, `temperature 1.5 → 1`), which the runner reports.
 */
export interface RequestPlan<Body> {
  body: Body;
  warnings: string[];
}

/** Turns one request's upstream answer into our events; it may keep state across frames. */
export interface ResponseTranslator<Answer, Frame> {
  /** Appends the events of a whole (non-streamed) answer; may throw after appending some. */
  answer(answer: Answer, out: AdapterEvent[]): void;
  /** Appends the events of one stream frame; may throw after appending some. */
  frame(frame: Frame, out: AdapterEvent[]): void;
  /** After the last frame or the answer: throws when the answer did not end as it must. */
  end?(): void;
  /** Something worth an info log line once the request is over (e.g. a blocked prompt). */
  notice?(): { message: string; fields: Record<string, unknown> } | undefined;
}

export interface ProviderParts<
  Plan extends RequestPlan<unknown>,
  Opened,
  Answer,
  Frame,
  Translator extends ResponseTranslator<Answer, Frame>,
> extends FailureParts<Translator> {
  readonly type: ProviderType;
  /** Our request → the provider's body. Pure: throws `GatewayError`s for what it cannot send. */
  buildRequest(request: CompletionRequest, deploymentName: string): Plan;
  /** Sends it; resolves when the upstream answered (for a stream: its response headers). */
  send(plan: Plan, request: CompletionRequest, call: ProviderCall): Promise<Opened>;
  /** The whole answer of a non-streamed request. */
  readAnswer(opened: Opened, call: ProviderCall): Promise<Answer> | Answer;
  /** The stream's frames, a batch per upstream read (or one per SDK item); the array may be reused. */
  readFrames(opened: Opened, call: ProviderCall): AsyncIterable<readonly Frame[]>;
  /** A fresh translator for one request. */
  translator(plan: Plan, request: CompletionRequest): Translator;
}

export function runProvider<Plan extends RequestPlan<unknown>, Opened, Answer, Frame, Translator extends ResponseTranslator<Answer, Frame>>(
  parts: ProviderParts<Plan, Opened, Answer, Frame, Translator>,
): ProviderAdapter {
  const type = parts.type;
  return {
    type,
    reportsResponseHeaders: true,
    async *complete(request: CompletionRequest, call: ProviderCall): AsyncIterable<AdapterYield> {
      const plan = parts.buildRequest(request, call.deploymentName);
      if (plan.warnings.length > 0 && call.logger.isEnabled("debug")) {
        call.logger.debug("parameters dropped or adjusted for provider", {
          provider: type,
          deploymentName: call.deploymentName,
          dropped: plan.warnings,
        });
      }
      const translator = parts.translator(plan, request);
      let phase: Phase = "request";
      try {
        const opened = await parts.send(plan, request, call);
        phase = "read";
        if (!request.stream) {
          const out: AdapterEvent[] = [];
          let failure: unknown = null;
          try {
            translator.answer(await parts.readAnswer(opened, call), out);
            translator.end?.();
          } catch (error) {
            failure = error;
          }
          if (out.length > 0) yield out;
          if (failure) throw failure;
          return;
        }
        call.onResponseHeaders?.();
        yield* frameBatches(parts.readFrames(opened, call), (frame, out) => translator.frame(frame, out));
        // Some SDKs end an aborted stream quietly; it did not end well.
        if (call.signal.aborted) throw new GatewayError("upstream_error", "request aborted");
        translator.end?.();
      } catch (error) {
        throw classifyFailure(type, error, phase, call.signal, parts, translator);
      } finally {
        const notice = translator.notice?.();
        if (notice) call.logger.info(notice.message, { deploymentName: call.deploymentName, ...notice.fields });
      }
    },
  };
}

/** Appends `events` to `out` (translators that return arrays feed the runner's batch). */
export function pushAll(out: AdapterEvent[], events: readonly AdapterEvent[]): void {
  for (let i = 0; i < events.length; i++) out.push(events[i]!);
}
