/**
 * Builds the self-contained executable `dist/completion-service` (`bun run build`).
 *
 * - The git commit it is built from is compiled in (`--version`, health, `completion_build_info`):
 *   `COMPLETION_SERVICE_COMMIT` when set (a container build without `.git`), else `git rev-parse`,
 *   with `-dirty` when the work tree has uncommitted changes; none outside a checkout.
 * - The executable reads no `.env` and no `bunfig.toml` from the directory it runs in: everything
 *   is set by the environment.
 */
import { join } from "node:path";

const root = join(import.meta.dir, "..");

function git(...args: string[]): string | null {
  try {
    const r = Bun.spawnSync(["git", ...args], { cwd: root, stdout: "pipe", stderr: "ignore" });
    return r.exitCode === 0 ? r.stdout.toString().trim() : null;
  } catch {
    return null; // no git on this machine
  }
}

function commit(): string {
  const given = process.env.COMPLETION_SERVICE_COMMIT?.trim();
  if (given) return given;
  const head = git("rev-parse", "--short=12", "HEAD");
  if (!head) return "";
  return git("status", "--porcelain", "--untracked-files=no") ? `${head}-dirty` : head;
}

const built = commit();
const build = Bun.spawnSync(
  [
    process.execPath,
    "build",
    "src/main.ts",
    "--compile",
    "--minify",
    "--sourcemap",
    "--target=bun",
    "--no-compile-autoload-dotenv",
    "--no-compile-autoload-bunfig",
    `--define=COMPLETION_SERVICE_COMMIT=${JSON.stringify(built)}`,
    "--outfile=dist/completion-service",
  ],
  { cwd: root, stdout: "inherit", stderr: "inherit" },
);
if (build.exitCode !== 0) process.exit(build.exitCode ?? 1);
console.log(`built dist/completion-service, commit ${built || "(none)"}`);
