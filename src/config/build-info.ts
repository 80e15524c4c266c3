/**
 * What is running: the version from package.json and, in a built executable, the git commit it was
 * built from (`scripts/build.ts` defines COMPLETION_SERVICE_COMMIT). Shown by `--version`, health
 * and the `completion_build_info` gauge.
 */
import { version } from "../../package.json";

declare const COMPLETION_SERVICE_COMMIT: string | undefined;

export interface BuildInfo {
  version: string;
  /** Null when run from source, or built outside a git checkout. */
  commit: string | null;
}

export const BUILD_INFO: BuildInfo = {
  version,
  commit: typeof COMPLETION_SERVICE_COMMIT === "string" && COMPLETION_SERVICE_COMMIT !== "" ? COMPLETION_SERVICE_COMMIT : null,
};
