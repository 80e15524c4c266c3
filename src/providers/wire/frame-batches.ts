import type { AdapterEvent } from "../../core/events";

/**
 * One batch of events per upstream read: every frame the read held goes through the translator,
 * and their events leave as one batch. A frame that fails (an error chunk, bad JSON) is thrown
 * after the events of the frames before it, so a client still gets what came first. The batch
 * array is reused from read to read.
 */
export async function* frameBatches<Frame>(
  reads: AsyncIterable<readonly Frame[]>,
  translate: (frame: Frame, out: AdapterEvent[]) => void,
): AsyncGenerator<readonly AdapterEvent[], void, undefined> {
  const batch: AdapterEvent[] = [];
  for await (const frames of reads) {
    batch.length = 0;
    let failure: unknown = null;
    try {
      for (let i = 0; i < frames.length; i++) translate(frames[i]!, batch);
    } catch (error) {
      failure = error;
    }
    if (batch.length > 0) yield batch;
    if (failure) throw failure;
  }
}

/** An SDK's iterator, one item per read (the SDK hides the reads); the array is reused. */
export async function* oneFramePerRead<Frame>(items: AsyncIterable<Frame>): AsyncGenerator<readonly Frame[], void, undefined> {
  const one: Frame[] = [];
  for await (const item of items) {
    one[0] = item;
    yield one;
  }
}
