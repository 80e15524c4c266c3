/**
 * Where the mapping comes from (CONTRACT §1, §4): the local file when set, else llm-core, else
 * the bundled demo mapping. Each source yields raw JSON; `parseMapping` validates it.
 */
import type { Logger } from "../observability/logger";
import { DEMO_MAPPING } from "./demo-mapping";
import { MappingError, parseMapping, type Mapping } from "./mapping";

export interface MappingSource {
  /** Human description for logs and health, never holding secrets. */
  readonly description: string;
  load(): Promise<Mapping>;
}

type Env = Record<string, string | undefined>;

export function fileMappingSource(path: string, env: Env): MappingSource {
  return {
    description: `file ${path}`,
    async load() {
      let text: string;
      try {
        text = await Bun.file(path).text();
      } catch (e) {
        throw new MappingError([`cannot read mapping file ${path}: ${(e as Error).message}`]);
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        throw new MappingError([`mapping file ${path} is not valid JSON: ${(e as Error).message}`]);
      }
      return parseMapping(json, env);
    },
  };
}

export interface LlmCoreSourceOptions {
  baseUrl: string;
  apiKey?: string;
  env: Env;
  /** Attempts at start-up before giving up. */
  attempts?: number;
  backoffMs?: number;
  timeoutMs?: number;
  logger: Logger;
}

export const LLM_CORE_MAPPING_PATH = "/api/v1/services-config/models-providers";

export function llmCoreMappingSource(options: LlmCoreSourceOptions): MappingSource {
  const url = `${options.baseUrl.replace(/\/+$/, "")}${LLM_CORE_MAPPING_PATH}`;
  const attempts = options.attempts ?? 5;
  const backoffMs = options.backoffMs ?? 500;
  const fetchOnce = async (): Promise<unknown> => {
    const response = await fetch(url, {
      headers: { accept: "application/json", ...(options.apiKey && { "x-api-key": options.apiKey }) },
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    if (!response.ok) throw new Error(`llm-core answered HTTP ${response.status}`);
    return response.json();
  };
  return {
    description: `llm-core ${url}`,
    async load() {
      let lastError: Error | null = null;
      for (let i = 0; i < attempts; i++) {
        try {
          return parseMapping(await fetchOnce(), options.env);
        } catch (e) {
          if (e instanceof MappingError) throw e; // llm-core answered; its mapping is wrong
          lastError = e as Error;
          options.logger.warn("llm-core mapping fetch failed", { attempt: i + 1, of: attempts, error: lastError.message });
          if (i < attempts - 1) await Bun.sleep(backoffMs * 2 ** i);
        }
      }
      throw new MappingError([`llm-core unreachable at ${url} after ${attempts} attempts: ${lastError?.message}`]);
    },
  };
}

export function demoMappingSource(): MappingSource {
  return { description: "bundled demo mapping", load: async () => parseMapping(DEMO_MAPPING, {}) };
}
