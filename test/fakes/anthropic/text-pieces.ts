/**
 * The Anthropic and Bedrock fakes as the shared provider scenarios drive them
 * (`test/support/provider-scenarios.ts`): an answer of text pieces is one text block.
 */
import type { FakeUpstream } from "../fake-upstream";

interface BlockAnswering {
  answer(fn: () => { blocks: { type: "text"; pieces: string[] }[]; chunkDelayMs?: number }): void;
}

export function answeringTextPieces<F extends FakeUpstream & BlockAnswering>(
  fake: F,
): FakeUpstream & { answer(fn: () => { text: string[]; chunkDelayMs?: number }): void } {
  return Object.assign(Object.create(fake) as F, {
    answer(fn: () => { text: string[]; chunkDelayMs?: number }) {
      fake.answer(() => {
        const { text, chunkDelayMs } = fn();
        return { blocks: [{ type: "text" as const, pieces: text }], ...(chunkDelayMs !== undefined && { chunkDelayMs }) };
      });
    },
  });
}
