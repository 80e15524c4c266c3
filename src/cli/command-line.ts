/**
 * `--version` and `--help`: answered before anything starts (no settings read, no port opened).
 * Other arguments starting with `-` are refused; everything else is set by the environment.
 */
import { BUILD_INFO } from "../config/build-info";
import { ENVIRONMENT } from "./environment-help";

export function versionLine(): string {
  return `completion-service ${BUILD_INFO.version}${BUILD_INFO.commit ? ` (commit ${BUILD_INFO.commit})` : ""}`;
}

export function helpText(): string {
  const width = Math.max(...ENVIRONMENT.map(([name]) => name.length));
  const fallbackWidth = Math.max(...ENVIRONMENT.map(([, fallback]) => fallback.length));
  const lines = ENVIRONMENT.map(([name, fallback, meaning]) => `  ${name.padEnd(width)}  ${fallback.padEnd(fallbackWidth)}  ${meaning}`);
  return [
    versionLine(),
    "",
    "An LLM gateway: POST /api/v1/completions, GET /api/v1/health, GET /metrics.",
    "",
    "Usage: completion-service [--help | --version]",
    "",
    "Everything else is set by the environment:",
    "",
    `  ${"variable".padEnd(width)}  ${"default".padEnd(fallbackWidth)}  meaning`,
    ...lines,
    "",
  ].join("\n");
}

export type CommandLineAnswer = { exitCode: number; stdout?: string; stderr?: string } | null;

/** What to print and the exit code for `--help`/`--version`/a bad option, or null to start the service. */
export function answerCommandLine(args: readonly string[]): CommandLineAnswer {
  if (args.includes("--help") || args.includes("-h")) return { exitCode: 0, stdout: helpText() };
  if (args.includes("--version") || args.includes("-v")) return { exitCode: 0, stdout: `${versionLine()}\n` };
  const unknown = args.find((a) => a.startsWith("-"));
  if (unknown) {
    return { exitCode: 2, stderr: `completion-service: unknown option ${unknown}; settings come from the environment (see --help)\n` };
  }
  return null;
}
