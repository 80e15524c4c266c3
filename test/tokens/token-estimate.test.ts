/**
 * Local token counts (a provider that reports none, a stream cut short). Text is counted as the
 * provider would read user text: a special-token string in it is plain text, never an error — an
 * estimate that threw would lose the completion's usage event.
 */
import { describe, expect, test } from "bun:test";
import { estimateInputTokens, estimateTextTokens } from "../../src/tokens/token-estimate";
import { normalizeRequest } from "../../src/core/request";

describe("token estimates", () => {
  test("o200k counts: exact for known strings", () => {
    expect(estimateTextTokens("")).toBe(0);
    expect(estimateTextTokens("hello world")).toBe(2);
  });

  test("special-token strings in user text are counted as text, not refused", () => {
    for (const special of ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|endofprompt|>", "<|fim_prefix|>"]) {
      const count = estimateTextTokens(`What does ${special} mean?`);
      // As text, a special token's string is several ordinary tokens (as one special token it would be 1).
      expect([special, count]).toEqual([special, expect.any(Number)]);
      expect(count).toBeGreaterThan(estimateTextTokens("What does  mean?") + 1);
    }
  });

  test("a request quoting special tokens is estimated", () => {
    const request = normalizeRequest({
      model: "m",
      messages: [{ role: "user", content: "Explain <|endoftext|> and <|im_start|>" }],
    } as never);
    expect(estimateInputTokens(request)).toBeGreaterThan(10);
  });
});
