/**
 * Opens many streaming completions at once against the service and holds them to the end,
 * checking each one's grammar ends in a `finish` with `stop` and carries no `error`.
 *
 * Bun's fetch runs at most BUN_CONFIG_MAX_HTTP_REQUESTS requests at once (256 by default), so
 * `scripts/bench.ts` starts this with that variable raised. Prints `open=<n> done=<n>` lines as it
 * goes and one `RESULT {json}` line at the end.
 *
 * `bun scripts/bench/hold-streams.ts <url> <count> [batch]`
 */
export {};

const [url, countArg, batchArg] = process.argv.slice(2);
if (!url || !countArg) {
  console.error("usage: hold-streams.ts <url> <count> [batch]");
  process.exit(2);
}
const count = Number(countArg);
const batch = Number(batchArg ?? 250);
const body = JSON.stringify({ model: "bench-slow", messages: [{ role: "user", content: "Say twenty words, slowly." }], stream: true });
const decoder = new TextDecoder();

let open = 0;
let done = 0;
let maxConcurrent = 0;
let failed = 0;
const failures: string[] = [];
const firstChunkMs: number[] = [];

async function one(): Promise<void> {
  const t0 = performance.now();
  try {
    const res = await fetch(url!, { method: "POST", headers: { "content-type": "application/json" }, body });
    if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
    const reader = res.body!.getReader();
    let text = "";
    let first = true;
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) break;
      if (first) {
        first = false;
        firstChunkMs.push(performance.now() - t0);
        open++;
        maxConcurrent = Math.max(maxConcurrent, open);
      }
      text += decoder.decode(value, { stream: true });
    }
    if (!first) open--;
    const lines = text.trim().split("\n");
    const last = JSON.parse(lines[lines.length - 1]!);
    if (last.type !== "finish" || last.finishReason !== "stop" || text.includes('"type":"error"')) {
      throw new Error(`bad stream ending: ${lines.slice(-3).join(" | ")}`);
    }
    done++;
  } catch (e) {
    failed++;
    if (failures.length < 5) failures.push((e as Error).message);
  }
}

const progress = setInterval(() => console.log(`open=${open} done=${done} failed=${failed}`), 1000);
const all: Promise<void>[] = [];
const t0 = performance.now();
for (let i = 0; i < count; i += batch) {
  for (let j = i; j < Math.min(count, i + batch); j++) all.push(one());
  await Bun.sleep(20);
}
await Promise.all(all);
clearInterval(progress);
firstChunkMs.sort((a, b) => a - b);
const pct = (p: number) =>
  firstChunkMs.length ? firstChunkMs[Math.min(firstChunkMs.length - 1, Math.floor((p / 100) * firstChunkMs.length))]! : null;
console.log(
  `RESULT ${JSON.stringify({
    requested: count,
    completed: done,
    failed,
    failures,
    maxConcurrentOpen: maxConcurrent,
    firstChunkMsP50: pct(50),
    firstChunkMsP99: pct(99),
    firstChunkMsMax: firstChunkMs[firstChunkMs.length - 1] ?? null,
    wallMs: Math.round(performance.now() - t0),
  })}`,
);
