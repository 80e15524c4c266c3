/** The real service with rate limits counted in a private Redis, API keys `alpha` and `beta`, and mock models. */
import { createGuard } from "../../src/auth/create-guards";
import { parseSettings } from "../../src/config/settings";
import { createLogger, silentLogger, type Logger } from "../../src/observability/logger";
import { CompletionService } from "../../src/service";
import { RecordingSink } from "../support/recording-sink";
import { FAST_ROUTING, staticMappingSource } from "../support/service-harness";

export const ALPHA = { "x-api-key": "alpha-key-0123456789abcdef" };
export const BETA = { "x-api-key": "beta-key-0123456789abcdef0" };
export const API_KEYS = `alpha=${ALPHA["x-api-key"]},beta=${BETA["x-api-key"]}`;

/** `m` and `m2` answer a few words; `long` answers ~200 tokens; `priced` costs 1 USD per token. */
export const LIMITS_MAPPING = {
  providers: {
    short: { type: "mock", text: "one two three" },
    long: { type: "mock", text: "word ".repeat(200).trim(), chunkSize: 50 },
  },
  models: {
    m: { targets: [{ provider: "short", deploymentName: "mock" }] },
    m2: { targets: [{ provider: "short", deploymentName: "mock" }] },
    long: { targets: [{ provider: "long", deploymentName: "mock" }] },
    priced: {
      targets: [{ provider: "short", deploymentName: "mock" }],
      pricing: { inputPerMillion: 1_000_000, outputPerMillion: 1_000_000 },
    },
  },
};

export interface LimitedService {
  url: string;
  sink: RecordingSink;
  service: CompletionService;
  logs: Record<string, unknown>[];
  complete(body: Record<string, unknown>, headers?: Record<string, string>, path?: string): Promise<Response>;
  stop(): Promise<void>;
}

export async function startLimitedService(env: Record<string, string>): Promise<LimitedService> {
  const settings = parseSettings({ AUTH_MODE: "api_key", API_KEYS, ...env });
  const logs: Record<string, unknown>[] = [];
  const logger: Logger = createLogger("debug", {}, (line) => {
    logs.push(JSON.parse(line));
    if (process.env.TEST_LOGS) process.stdout.write(line);
  });
  const sink = new RecordingSink();
  const service = new CompletionService({
    settings,
    logger,
    mappingSource: staticMappingSource(LIMITS_MAPPING),
    sink,
    routing: FAST_ROUTING,
    guard: await createGuard(settings, silentLogger),
  });
  await service.loadMapping();
  service.listen(0, "127.0.0.1");
  const url = `http://127.0.0.1:${service.port}`;
  return {
    url,
    sink,
    service,
    logs,
    complete: (body, headers = ALPHA, path = "/api/v1/completions") =>
      fetch(`${url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], ...body }),
      }),
    stop: () => service.stop(0),
  };
}

/** Waits until the usage events of `count` completions arrived (they are published after the answer). */
export async function settled(svc: LimitedService, count: number): Promise<void> {
  await svc.sink.waitFor(count);
  await Bun.sleep(50); // the settlement's script follows the event
}

/** Waits out the last seconds of a minute, so a test's requests fall in one minute window. */
export async function awayFromMinuteEdge(marginMs = 3000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < marginMs) await Bun.sleep(left + 50);
}
