/**
 * WORKERS=2: the real service (`bun src/main.ts`) as two workers under a supervisor, the bundled
 * demo mapping, usage events on stdout (log sink). Over real HTTP on loopback.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { complete, freePort, load, root, startCluster, successesCounted, waitFor, workersOf, type Cluster } from "./cluster-harness";

describe("WORKERS=2", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster();
  }, 30_000);
  afterAll(() => {
    cluster.proc.kill("SIGKILL");
    rmSync(cluster.spool, { recursive: true, force: true });
  });

  test("requests are served by both workers, health lists both, /metrics counts them all", async () => {
    const before = await successesCounted(cluster.url);
    const outcomes = await Promise.all(Array.from({ length: 40 }, () => complete(cluster.url)));
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    await waitFor(() => outcomes.every((o) => cluster.out.servedBy.has(o.id)), "every completion logged");
    const workers = new Set(outcomes.map((o) => cluster.out.servedBy.get(o.id)));
    expect([...workers].sort()).toEqual([0, 1]);
    const health = await workersOf(cluster.url);
    expect(health.map((w) => [w.index, w.status])).toEqual([
      [0, "ok"],
      [1, "ok"],
    ]);
    // Whichever worker the scrape lands on, it counts both workers' completions.
    for (let i = 0; i < 6; i++) expect(await successesCounted(cluster.url)).toBe(before + 40);
  }, 30_000);

  test("kill -9 of one worker under load: the other keeps serving, it is restarted, no usage event is lost, counters add up", async () => {
    const before = await successesCounted(cluster.url);
    const victim = (await workersOf(cluster.url)).find((w) => w.index === 1)!;
    let killedAt = 0;
    let stop = false;
    const running = load(cluster.url, 4, () => stop);
    await Bun.sleep(3_000);
    process.kill(victim.pid!, "SIGKILL");
    killedAt = Date.now();
    await waitFor(
      async () => (await workersOf(cluster.url)).some((w) => w.index === 1 && w.status === "ok" && w.pid !== victim.pid),
      "worker 1 restarted",
    );
    const restartedAt = Date.now();
    // The restarted worker takes its share again.
    await waitFor(
      () => [...cluster.out.servedBy.values()].filter((w) => w === 1).length > 0 && Date.now() - restartedAt > 1_000,
      "load on the restarted worker",
    );
    stop = true;
    const outcomes = await running;

    const failed = outcomes.filter((o) => !o.ok);
    const succeeded = outcomes.filter((o) => o.ok);
    console.log(
      `kill -9 under load: ${outcomes.length} requests, ${failed.length} failed (on the killed worker's connections): ${failed.map((o) => o.error).join("; ")}`,
    );
    // Only requests already on the killed worker may fail: at most one per client loop, all at the kill.
    expect(failed.length).toBeLessThanOrEqual(4);
    for (const o of failed) expect(o.end).toBeGreaterThanOrEqual(killedAt - 50);
    expect(succeeded.length).toBeGreaterThan(50);

    const health = await workersOf(cluster.url);
    expect(health.find((w) => w.index === 1)!.restarts).toBe(1);
    expect(health.find((w) => w.index === 0)!.restarts).toBe(0);

    // Every completion that succeeded has its usage event, whichever worker served it — except those
    // the killed worker answered in its last moments: an event is handed to the sink just after its
    // answer is written (off the response path), so a kill -9 between the two loses it, as it would
    // for a single process. Those few ended right before the kill; none ended earlier.
    await waitFor(() => succeeded.every((o) => cluster.out.events.has(o.id)), "usage events of every success", 5_000).catch(() => {});
    const missing = succeeded.filter((o) => !cluster.out.events.has(o.id));
    console.log(`usage events missing after kill -9: ${missing.length} (answers of the killed worker's last moments)`);
    expect(missing.length).toBeLessThanOrEqual(4);
    for (const o of missing) {
      expect(cluster.out.servedBy.get(o.id) ?? 1).toBe(1);
      expect(o.end).toBeGreaterThanOrEqual(killedAt - 500);
    }
    // And the restarted worker served some of them after its restart.
    expect(succeeded.some((o) => o.end > restartedAt && cluster.out.servedBy.get(o.id) === 1)).toBe(true);

    // The killed worker's counts up to its last report (at most a second before the kill) stay in
    // the sums: what it served in that last second may be missing, never more, never counted twice.
    const counted = (await successesCounted(cluster.url)) - before;
    const lastSecondOfVictim = succeeded.filter(
      (o) => cluster.out.servedBy.get(o.id) === 1 && o.end <= killedAt && o.end > killedAt - 1_200,
    ).length;
    const victimBefore = succeeded.filter((o) => cluster.out.servedBy.get(o.id) === 1 && o.end <= killedAt).length;
    console.log(
      `counted ${counted} of ${succeeded.length} successes; the killed worker served ${victimBefore} before the kill, ${lastSecondOfVictim} in its last 1.2 s`,
    );
    expect(counted).toBeLessThanOrEqual(succeeded.length);
    expect(counted).toBeGreaterThanOrEqual(succeeded.length - lastSecondOfVictim);
  }, 60_000);

  test("a worker killed while idle: /metrics still counts exactly what it served", async () => {
    const before = await successesCounted(cluster.url);
    const outcomes = await Promise.all(Array.from({ length: 30 }, () => complete(cluster.url)));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(await successesCounted(cluster.url)).toBe(before + 30);
    await Bun.sleep(1_200); // a report from each worker since
    const victim = (await workersOf(cluster.url)).find((w) => w.index === 0)!;
    process.kill(victim.pid!, "SIGKILL");
    await waitFor(
      async () => (await workersOf(cluster.url)).some((w) => w.index === 0 && w.status === "ok" && w.pid !== victim.pid),
      "worker 0 restarted",
    );
    for (let i = 0; i < 4; i++) expect(await successesCounted(cluster.url)).toBe(before + 30);
  }, 30_000);

  test("SIGTERM to the supervisor: an open stream finishes, every worker drains, exit 0", async () => {
    const id = crypto.randomUUID();
    const res = await fetch(`${cluster.url}/api/v1/completions`, {
      method: "POST",
      keepalive: false,
      headers: { "content-type": "application/json", "x-request-id": id },
      body: JSON.stringify({ model: "demo-slow", stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value); // the stream is open
    const t0 = Date.now();
    cluster.proc.kill("SIGTERM");
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += decoder.decode(chunk.value);
    expect(res.status).toBe(200);
    expect(text).toContain('"finishReason":"stop"');
    expect(await cluster.proc.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(15_000);
    await waitFor(() => cluster.out.events.has(id), "the stream's usage event", 2_000);
    expect(cluster.out.lines.filter((l) => l.includes('"msg":"worker stopped"')).length).toBe(2);
  }, 30_000);
});

describe("WORKERS start-up errors", () => {
  async function run(env: Record<string, string>): Promise<{ code: number; stderr: string; ms: number }> {
    const t0 = Date.now();
    const proc = Bun.spawn([process.execPath, join(root, "src/main.ts")], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOST: "127.0.0.1",
        BUN_CONFIG_MAX_HTTP_REQUESTS: "10000",
        MIMALLOC_PURGE_DELAY: "100",
        BUN_JSC_forceRAMSize: "1073741824",
        ...env,
      },
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    });
    const stderr = await new Response(proc.stderr).text();
    return { code: await proc.exited, stderr, ms: Date.now() - t0 };
  }

  test("WORKERS that is not a count is refused, naming the setting", async () => {
    const r = await run({ WORKERS: "lots", PORT: String(await freePort()) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("WORKERS must be a whole number from 1 to 256, or auto");
  });

  test("WORKERS > 1 with PORT=0 is refused: the workers could not share a port", async () => {
    const r = await run({ WORKERS: "2", PORT: "0" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("WORKERS > 1 needs a fixed PORT");
  });

  test("a worker that cannot start (bad mapping file) ends the supervisor with exit 1, not a restart loop", async () => {
    const r = await run({ WORKERS: "2", PORT: String(await freePort()), LOCAL_MODEL_PROVIDERS_CONFIG_PATH: "/nonexistent/mapping.json" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("/nonexistent/mapping.json");
    expect(r.ms).toBeLessThan(10_000);
  }, 20_000);
});
