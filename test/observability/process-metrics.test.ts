/**
 * The process metrics on /metrics tell the truth under Bun: checked against what the kernel says
 * about the running service (/proc/<pid>/status, /proc/<pid>/fd).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { runMain, type RunningMain } from "../config/run-main";

let svc: RunningMain;
let samples: Map<string, number>;

function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

function statusBytes(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m![1]) * 1024;
}

beforeAll(async () => {
  svc = await runMain({});
  // Some work first, so the figures are not those of an idle process.
  for (let i = 0; i < 20; i++) {
    await fetch(`${svc.url}/api/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "demo", messages: [{ role: "user", content: "hi" }] }),
    });
  }
  samples = parse(await (await fetch(`${svc.url}/metrics`)).text());
}, 30_000);
afterAll(() => svc.stop());

test("resident memory is within 2x of the kernel's VmRSS", () => {
  const rss = samples.get("process_resident_memory_bytes")!;
  const vmRss = statusBytes(svc.proc.pid, "VmRSS");
  expect(rss).toBeGreaterThan(vmRss / 2);
  expect(rss).toBeLessThan(vmRss * 2);
});

test("no metric claims more heap than the process has resident", () => {
  const rss = samples.get("process_resident_memory_bytes")!; // read in the same scrape
  const heaps = [...samples].filter(([name]) => /heap/.test(name));
  expect(heaps.length).toBeGreaterThan(0);
  for (const [name, value] of heaps) expect(value, name).toBeLessThanOrEqual(rss);
  expect(samples.get("nodejs_heap_size_used_bytes")!).toBeGreaterThan(0);
});

test("no Node version is claimed: this is Bun", () => {
  expect([...samples.keys()].filter((name) => name.startsWith("nodejs_version_info"))).toEqual([]);
});

test("no count that Bun always reports as 0", () => {
  expect([...samples.keys()].filter((name) => /^nodejs_active_|^nodejs_heap_space_/.test(name))).toEqual([]);
});

test("open file descriptors, start time and CPU are plausible", () => {
  const fds = readdirSync(`/proc/${svc.proc.pid}/fd`).length;
  expect(Math.abs(samples.get("process_open_fds")! - fds)).toBeLessThan(20);
  const started = samples.get("process_start_time_seconds")!;
  expect(Math.abs(started - Date.now() / 1000)).toBeLessThan(120);
  const cpu = samples.get("process_cpu_seconds_total")!;
  expect(cpu).toBeGreaterThan(0);
  expect(cpu).toBeLessThan(120);
});
