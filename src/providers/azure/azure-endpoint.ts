/** Azure OpenAI's URLs and auth: per deployment, the API version in the query, the key in `api-key`. */
import { upstreamLimits } from "../upstream-limits";
import { headersFor, PATHS, type EndpointConfig, type OpenAIEndpoint } from "../openai-compatible/openai-endpoint";

/**
 * Azure OpenAI: `{endpoint}/openai/deployments/{deploymentName}/chat/completions?api-version=…`
 * (and `/completions`), the key in `api-key`.
 */
export function azureEndpoint(endpoint: string, apiVersion: string, config: EndpointConfig, apiKey: string): OpenAIEndpoint {
  const base = `${endpoint.replace(/\/+$/, "")}/openai/deployments/`;
  const query = `?api-version=${encodeURIComponent(apiVersion)}`;
  const cache = new Map<string, string>();
  return {
    url(api, deploymentName) {
      const key = `${api} ${deploymentName}`;
      let url = cache.get(key);
      if (url === undefined) {
        url = base + encodeURIComponent(deploymentName) + PATHS[api] + query;
        if (cache.size < 1000) cache.set(key, url);
      }
      return url;
    },
    headers: headersFor(config, { "api-key": apiKey }),
    redirect: "manual",
    limits: upstreamLimits(config),
  };
}
