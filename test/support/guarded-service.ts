/** The real service on a loopback port, with the auth guards the given env asks for. */
import { createGuard, type GuardOptions } from "../../src/auth/create-guards";
import { demoMappingSource } from "../../src/config/mapping-source";
import { parseSettings } from "../../src/config/settings";
import { silentLogger, type Logger } from "../../src/observability/logger";
import { CompletionService } from "../../src/service";
import { RecordingSink } from "./recording-sink";

export const DEMO_REQUEST = { model: "demo", messages: [{ role: "user", content: "hi" }] };

export interface CompletionCall {
  response: Response;
  requestId: string;
  body: Record<string, unknown>;
}

export interface RunningService {
  baseUrl: string;
  sink: RecordingSink;
  service: CompletionService;
  /** POSTs a completion with the given headers (and body, by default the demo request). */
  complete(headers?: Record<string, string>, body?: unknown): Promise<CompletionCall>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  stop(): Promise<void>;
}

export async function startService(
  env: Record<string, string>,
  options: GuardOptions = {},
  logger: Logger = silentLogger,
): Promise<RunningService> {
  const settings = parseSettings(env);
  const sink = new RecordingSink();
  const service = new CompletionService({
    settings,
    logger,
    mappingSource: demoMappingSource(),
    sink,
    guard: await createGuard(settings, logger, options),
  });
  await service.loadMapping();
  service.listen(0, "127.0.0.1");
  const baseUrl = `http://127.0.0.1:${service.port}`;
  return {
    baseUrl,
    sink,
    service,
    async complete(headers = {}, body = DEMO_REQUEST) {
      const requestId = `test-${crypto.randomUUID()}`;
      const response = await fetch(`${baseUrl}/api/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": requestId, ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
      const text = await response.text();
      if (response.headers.get("content-type")?.includes("ndjson")) {
        return {
          response,
          requestId,
          body: {
            lines: text
              .trim()
              .split("\n")
              .map((l) => JSON.parse(l)),
          },
        };
      }
      return { response, requestId, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
    get: (path, headers = {}) => fetch(`${baseUrl}${path}`, { headers }),
    stop: () => service.stop(0),
  };
}
