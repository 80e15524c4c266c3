/**
 * One batch of events per upstream read (see `AdapterYield`): every item the read held (SSE
 * chunks, NDJSON lines) goes through `translate`, and their events leave as one batch. An item
 * that fails (an error chunk, bad JSON) is thrown after the events of the items before it, so a
 * client still gets what came first. The batch array is reused from read to read.
 */
import type { AdapterEvent } from "../core/events";

export async function* eventBatches<T>(
  reads: AsyncIterable<readonly T[]>,
  translate: (item: T, out: AdapterEvent[]) => void,
): AsyncGenerator<readonly AdapterEvent[], void, undefined> {
  const batch: AdapterEvent[] = [];
  for await (const items of reads) {
    batch.length = 0;
    let failure: unknown = null;
    try {
      for (let i = 0; i < items.length; i++) translate(items[i]!, batch);
    } catch (error) {
      failure = error;
    }
    if (batch.length > 0) yield batch;
    if (failure) throw failure;
  }
}
