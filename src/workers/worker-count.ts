/** `WORKERS`: how many copies of the service share the port. */
import { availableParallelism } from "node:os";

export class WorkerCountError extends Error {}

/** The cores this process may run on (a container's CPU set, not the host's). */
export function availableCores(): number {
  return Math.max(1, navigator.hardwareConcurrency || availableParallelism());
}

/** `undefined`/empty → 1; `auto` → the available cores; otherwise a whole number from 1 to 256. */
export function parseWorkerCount(value: string | undefined, cores: () => number = availableCores): number {
  const text = value?.trim() ?? "";
  if (text === "") return 1;
  if (text.toLowerCase() === "auto") return cores();
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new WorkerCountError(`WORKERS must be a whole number from 1 to 256, or auto; got ${JSON.stringify(value)}`);
  }
  return n;
}
