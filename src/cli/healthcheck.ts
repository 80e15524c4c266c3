/**
 * `completion-service healthcheck`: asks the service on this machine whether it is ready, for a
 * container's HEALTHCHECK (distroless images have no curl). Exit 0 on 200, 1 otherwise; one line.
 */

/** Below Docker's default HEALTHCHECK timeout (30 s) and well below any sane probe interval. */
const TIMEOUT_MS = 3000;

export async function healthcheck(env: Record<string, string | undefined>, print: (line: string) => void): Promise<number> {
  const port = env.PORT?.trim() || "4000";
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
    print(`healthcheck: PORT must be a port number, got ${JSON.stringify(env.PORT)}`);
    return 1;
  }
  const url = `http://127.0.0.1:${port}/api/v1/health/ready`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    await response.body?.cancel();
    if (response.status === 200) {
      print(`healthcheck: ready (${url})`);
      return 0;
    }
    print(`healthcheck: not ready, ${url} answered ${response.status}`);
  } catch (e) {
    const error = e as Error & { code?: string };
    const reason =
      error.name === "TimeoutError"
        ? `no answer within ${TIMEOUT_MS} ms`
        : error.code === "ECONNREFUSED"
          ? "connection refused (nothing listening)"
          : error.message;
    print(`healthcheck: not ready, ${url}: ${reason}`);
  }
  return 1;
}
