/**
 * The AWS SDK's node:http handler with Bedrock's answers bounded (see `UpstreamLimits`): the SDK
 * reads bodies itself, so the bound sits underneath it. An error answer is cut after its first
 * `maxErrorBodyBytes`; an event stream fails once one frame declares more than `maxEventBytes`
 * (each frame starts with its total length, so a frame is refused before it is buffered); any
 * other answer fails past `maxResponseBytes`. A failure destroys the socket's stream with our
 * error, which the SDK's read then throws.
 */
import { Transform, pipeline, type Readable, type TransformCallback } from "node:stream";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { GatewayError } from "../../core/errors";
import { upstreamTooLarge, type UpstreamLimits } from "../upstream-limits";

type HandleArgs = Parameters<NodeHttpHandler["handle"]>;
type Handled = Awaited<ReturnType<NodeHttpHandler["handle"]>>;

export class BoundedHttpHandler extends NodeHttpHandler {
  constructor(
    options: ConstructorParameters<typeof NodeHttpHandler>[0],
    private readonly providerType: string,
    private readonly limits: UpstreamLimits,
  ) {
    super(options);
  }

  override async handle(...args: HandleArgs): Promise<Handled> {
    const handled = await super.handle(...args);
    const { response } = handled;
    const body = response.body as Readable | undefined;
    if (!body || typeof body.pipe !== "function") return handled;
    const header = (name: string): string | undefined => {
      for (const key in response.headers) if (key.toLowerCase() === name) return response.headers[key];
      return undefined;
    };
    const length = Number(header("content-length") ?? Number.NaN);
    let bound: Transform;
    if (response.statusCode >= 300) {
      if (length <= this.limits.maxErrorBodyBytes) return handled;
      bound = truncateAfter(this.limits.maxErrorBodyBytes);
    } else if (header("content-type")?.startsWith("application/vnd.amazon.eventstream")) {
      bound = boundFrames(() => upstreamTooLarge(this.providerType, "event", this.limits.maxEventBytes), this.limits.maxEventBytes);
    } else {
      if (length <= this.limits.maxResponseBytes) return handled;
      bound = failAfter(() => upstreamTooLarge(this.providerType, "answer", this.limits.maxResponseBytes), this.limits.maxResponseBytes);
    }
    // On our error (or a truncation) `pipeline` destroys the socket's stream too.
    response.body = pipeline(body, bound, () => {});
    return handled;
  }
}

function truncateAfter(maxBytes: number): Transform {
  let passed = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      const room = maxBytes - passed;
      passed += Math.min(room, chunk.length);
      if (chunk.length < room) return done(null, chunk);
      this.push(chunk.subarray(0, room));
      this.push(null);
      // Enough of an error page: stop reading the rest.
      done();
      this.destroy();
    },
  });
}

function failAfter(tooLarge: () => GatewayError, maxBytes: number): Transform {
  let passed = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      passed += chunk.length;
      done(passed > maxBytes ? tooLarge() : null, chunk);
    },
  });
}

/** AWS event-stream frames: a 4-byte big-endian total length, then the rest of the frame. */
function boundFrames(tooLarge: () => GatewayError, maxBytes: number): Transform {
  let remaining = 0;
  let prelude: number[] = [];
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      let at = 0;
      while (at < chunk.length) {
        if (remaining > 0) {
          const take = Math.min(remaining, chunk.length - at);
          remaining -= take;
          at += take;
          continue;
        }
        prelude.push(chunk[at++]!);
        if (prelude.length < 4) continue;
        const total = ((prelude[0]! << 24) >>> 0) + (prelude[1]! << 16) + (prelude[2]! << 8) + prelude[3]!;
        prelude = [];
        if (total > maxBytes) return done(tooLarge());
        remaining = Math.max(0, total - 4);
      }
      done(null, chunk);
    },
  });
}
