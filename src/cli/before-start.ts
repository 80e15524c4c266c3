/**
 * Imported first by `main.ts`, so that it runs before the service's modules are evaluated:
 * `--help`/`--version` answer at once, and a process missing Bun's runtime settings replaces
 * itself before paying for the rest of start-up (about half the cost of a restart otherwise).
 */
import { answerCommandLine } from "./command-line";
import { restartWithRuntimeSettings } from "./runtime-settings";

const answer = answerCommandLine(process.argv.slice(2));
if (answer) {
  if (answer.stdout) process.stdout.write(answer.stdout);
  if (answer.stderr) process.stderr.write(answer.stderr);
  process.exit(answer.exitCode);
}
restartWithRuntimeSettings();
