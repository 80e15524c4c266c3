/**
 * Three settings Bun reads once, when the process starts, and that the service needs: without
 * them Bun's fetch runs at most 256 upstream calls at once, freed memory goes back to the system
 * late, and the JavaScript heap is sized for the whole machine. Setting `process.env` later has
 * no effect (tried: fetch stays at 256), so when one is missing the process replaces itself
 * (`execve`: same pid, same arguments, nothing left behind) with them set. Values set by the
 * user are kept.
 */

export const RUNTIME_DEFAULTS: Readonly<Record<string, string>> = {
  BUN_CONFIG_MAX_HTTP_REQUESTS: "10000",
  MIMALLOC_PURGE_DELAY: "100",
  BUN_JSC_forceRAMSize: "1073741824",
};

/** Set on the replaced process: it never replaces itself a second time. */
export const RESTARTED_MARK = "COMPLETION_SERVICE_RUNTIME_SET";

type Env = Record<string, string | undefined>;

export function missingRuntimeSettings(env: Env): string[] {
  return Object.keys(RUNTIME_DEFAULTS).filter((name) => !env[name]);
}

/** The command line that starts this program again: the executable itself, or `bun <script>` from source. */
export function ownCommandLine(): string[] {
  const compiled = Bun.main.startsWith("/$bunfs/") || Bun.main.includes("~BUN");
  const args = process.argv.slice(compiled ? 2 : 1);
  return [process.execPath, ...process.execArgv, ...args];
}

/**
 * Replaces the process with one that has the runtime settings, when one is missing. Returns only
 * when nothing was missing, or when the replacement is not possible (then the caller warns).
 */
export function restartWithRuntimeSettings(env: Env = process.env): void {
  const missing = missingRuntimeSettings(env);
  if (missing.length === 0 || env[RESTARTED_MARK]) return;
  const execve = (process as { execve?: (file: string, args: string[], env: Env) => never }).execve;
  if (typeof execve !== "function") return;
  const next: Env = { ...env, [RESTARTED_MARK]: missing.join(",") };
  for (const name of missing) next[name] = RUNTIME_DEFAULTS[name];
  execve(process.execPath, ownCommandLine(), next);
}
