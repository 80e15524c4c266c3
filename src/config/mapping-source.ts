/**
 * Where the mapping comes from (docs/configuration.md): the local file when set, else llm-core, else
 * the bundled demo mapping. Each source yields raw JSON; `parseMapping` validates it.
 */
import type { Logger } from "../observability/logger";
import { DEMO_MAPPING } from "./demo-mapping";
import { parseJsonText } from "./json-error-position";
import { MappingError, parseMapping, type Mapping } from "./mapping";

export interface MappingSource {
  /** Human description for logs and health, never holding secrets. */
  readonly description: string;
  load(): Promise<Mapping>;
}

/**
 * The mapping could not be had at all: a file that cannot be read or is not JSON, llm-core not
 * reached or answering something that is not a mapping. An invalid mapping is a MappingError.
 */
export class MappingSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MappingSourceError";
  }
}

type Env = Record<string, string | undefined>;

/** JSON that is no mapping at all (an error object, a list) is told apart from an invalid mapping. */
function looksLikeMapping(json: unknown): boolean {
  return !!json && typeof json === "object" && !Array.isArray(json) && ("providers" in json || "models" in json);
}

function describeJson(json: unknown): string {
  if (Array.isArray(json)) return "a list";
  if (json && typeof json === "object") {
    const keys = Object.keys(json).slice(0, 5);
    return keys.length ? `an object with ${keys.map((k) => `"${k}"`).join(", ")}` : "an empty object";
  }
  return json === null ? "null" : `a ${typeof json}`;
}

const MAPPING_SHAPE = 'expected an object with "providers" and "models"';

export function fileMappingSource(path: string, env: Env): MappingSource {
  return {
    description: `file ${path}`,
    async load() {
      let text: string;
      try {
        text = await Bun.file(path).text();
      } catch (e) {
        throw new MappingSourceError(`cannot read mapping file ${path}: ${(e as Error).message}`);
      }
      let json: unknown;
      try {
        json = parseJsonText(text);
      } catch (e) {
        throw new MappingSourceError(`mapping file ${path} is not valid JSON: ${(e as Error).message}`);
      }
      if (!looksLikeMapping(json)) {
        throw new MappingSourceError(`mapping file ${path} is not a model mapping: ${MAPPING_SHAPE}, found ${describeJson(json)}`);
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

/** llm-core was reached and answered an error status: worth another attempt, but not "unreachable". */
class LlmCoreStatus extends Error {}

export function llmCoreMappingSource(options: LlmCoreSourceOptions): MappingSource {
  const url = `${options.baseUrl.replace(/\/+$/, "")}${LLM_CORE_MAPPING_PATH}`;
  const attempts = options.attempts ?? 5;
  const backoffMs = options.backoffMs ?? 500;
  const fetchOnce = async (): Promise<unknown> => {
    const response = await fetch(url, {
      headers: { accept: "application/json", ...(options.apiKey && { "x-api-key": options.apiKey }) },
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    if (!response.ok) throw new LlmCoreStatus(`HTTP ${response.status}`);
    const text = await response.text();
    let json: unknown;
    try {
      json = parseJsonText(text);
    } catch (e) {
      const type = response.headers.get("content-type") ?? "no content-type";
      throw new MappingSourceError(
        `llm-core at ${url} answered HTTP ${response.status} with a body that is not JSON (${type}): ${(e as Error).message}`,
      );
    }
    if (!looksLikeMapping(json)) {
      throw new MappingSourceError(
        `llm-core at ${url} answered JSON that is not a model mapping: ${MAPPING_SHAPE}, found ${describeJson(json)}`,
      );
    }
    return json;
  };
  return {
    description: `llm-core ${url}`,
    async load() {
      let lastError: Error | null = null;
      for (let i = 0; i < attempts; i++) {
        try {
          return parseMapping(await fetchOnce(), options.env);
        } catch (e) {
          // llm-core answered, and what it answered is wrong: asking again gives the same.
          if (e instanceof MappingError || e instanceof MappingSourceError) throw e;
          lastError = e as Error;
          options.logger.warn("llm-core mapping fetch failed", { attempt: i + 1, of: attempts, error: lastError.message });
          if (i < attempts - 1) await Bun.sleep(backoffMs * 2 ** i);
        }
      }
      if (lastError instanceof LlmCoreStatus) {
        throw new MappingSourceError(`llm-core at ${url} answered ${lastError.message} to ${attempts} attempts`);
      }
      throw new MappingSourceError(`llm-core unreachable at ${url} after ${attempts} attempts: ${lastError?.message}`);
    },
  };
}

export function demoMappingSource(): MappingSource {
  return { description: "bundled demo mapping", load: async () => parseMapping(DEMO_MAPPING, {}) };
}
