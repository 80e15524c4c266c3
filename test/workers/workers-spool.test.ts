/**
 * WORKERS=2 with RabbitMQ (a private node): each worker spools to its own directory while the
 * broker is away; a worker killed with -9 is restarted and publishes what its predecessor
 * spooled; spool files no worker of this run would read are taken over by worker 0.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPrivateBroker, rabbitmqInstalled, type PrivateBroker } from "../support/rabbitmq";
import { bindUsageQueue, consumeUsageEvents } from "../support/usage-queue";
import { complete, startCluster, waitFor, workersOf, type Cluster } from "./cluster-harness";

const EXCHANGE = "llm.transactions";
const ROUTING_KEY = "completion.transaction";
const QUEUE = "billing-workers";

let broker: PrivateBroker | undefined;
let cluster: Cluster | undefined;
let spool: string | undefined;
afterAll(async () => {
  cluster?.proc.kill("SIGKILL");
  await broker?.dispose();
  if (spool) rmSync(spool, { recursive: true, force: true });
}, 60_000);

function spooledLines(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".ndjson"))
    .flatMap((name) => readFileSync(join(dir, name), "utf8").split("\n").filter(Boolean));
}

function leftoverEvent(eventId: string): string {
  return JSON.stringify({ eventId, requestId: eventId, timestamp: new Date().toISOString(), model: "demo", provider: "mock" });
}

test.skipIf(!rabbitmqInstalled())(
  "broker away: each worker spools its own events; a worker killed with -9 comes back and publishes its predecessor's spool; leftovers of other runs are published too",
  async () => {
    broker = await createPrivateBroker({ start: false });
    spool = mkdtempSync(join(tmpdir(), "workers-spool-"));
    // What earlier runs left: a single process (top level) and a worker index this run does not have.
    writeFileSync(join(spool, "usage-events-000000000001.ndjson"), `${leftoverEvent("left-by-one-process")}\n`);
    mkdirSync(join(spool, "worker-5"));
    writeFileSync(join(spool, "worker-5", "usage-events-000000000003.ndjson"), `${leftoverEvent("left-by-worker-5")}\n`);

    cluster = await startCluster({ RABBITMQ_URL: broker.url }, spool, ["ok", "degraded"]);
    expect(readdirSync(spool).filter((name) => name.endsWith(".ndjson"))).toEqual([]);
    expect(readdirSync(join(spool, "worker-5"))).toEqual([]);

    const outcomes = await Promise.all(Array.from({ length: 30 }, () => complete(cluster!.url)));
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    // Events older than a second go to disk while the broker is away: each worker in its own directory.
    const requestIds = new Set(outcomes.map((o) => o.id));
    const onDisk = () =>
      [0, 1].map((i) =>
        spooledLines(join(spool!, `worker-${i}`))
          .map((line) => JSON.parse(line).requestId as string)
          .filter((id) => requestIds.has(id)),
      );
    await waitFor(() => onDisk().flat().length === 30, "all 30 events spooled", 15_000);
    const [byWorker0, byWorker1] = onDisk();
    expect(byWorker0!.length).toBeGreaterThan(0);
    expect(byWorker1!.length).toBeGreaterThan(0);

    const victim = (await workersOf(cluster.url)).find((w) => w.index === 1)!;
    process.kill(victim.pid!, "SIGKILL");
    await waitFor(
      async () =>
        (await workersOf(cluster!.url)).some(
          (w) => w.index === 1 && w.pid !== victim.pid && w.status !== "restarting" && w.status !== "starting",
        ),
      "worker 1 restarted",
    );

    await broker.start();
    await bindUsageQueue(broker.url, { exchange: EXCHANGE, routingKey: ROUTING_KEY, queue: QUEUE });
    const wanted = new Set([...requestIds, "left-by-one-process", "left-by-worker-5"]);
    const received = await consumeUsageEvents(
      broker.url,
      QUEUE,
      (got) => {
        const ids = new Set(got.map((r) => String(r.body.requestId)));
        return [...wanted].every((id) => ids.has(id));
      },
      40_000,
    );
    const arrived = new Set(received.map((r) => String(r.body.requestId)));
    expect([...wanted].filter((id) => !arrived.has(id))).toEqual([]);
  },
  120_000,
);
