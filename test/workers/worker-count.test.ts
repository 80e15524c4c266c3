import { expect, test } from "bun:test";
import { parseWorkerCount, WorkerCountError } from "../../src/workers/worker-count";

test("WORKERS: unset is one process, auto is the cores this process may use, a count is taken as it is", () => {
  expect(parseWorkerCount(undefined)).toBe(1);
  expect(parseWorkerCount("")).toBe(1);
  expect(parseWorkerCount("auto", () => 16)).toBe(16);
  expect(parseWorkerCount("AUTO", () => 3)).toBe(3);
  expect(parseWorkerCount(" 4 ")).toBe(4);
  for (const bad of ["0", "-1", "2.5", "many", "257"]) expect(() => parseWorkerCount(bad)).toThrow(WorkerCountError);
});
