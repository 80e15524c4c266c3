/**
 * The compact o200k counter against gpt-tokenizer, the library it reads its ranks from: every one
 * of the 199,998 ranks holds the library's bytes and is found again by them, and token counts are
 * the library's over a varied corpus (special-token strings read as text).
 */
import { describe, expect, test } from "bun:test";
import { O200kCounter } from "../../src/tokens/o200k-counter";

const counter = new O200kCounter();
const reference = require("gpt-tokenizer/encoding/o200k_base") as { countTokens(text: string, options: unknown): number };
const referenceRanks = require("gpt-tokenizer/bpeRanks/o200k_base").default as (string | number[])[];
const AS_TEXT = { disallowedSpecial: new Set<string>() };

describe("o200k counter", () => {
  test("every rank: the library's bytes, found again by those bytes", () => {
    expect(counter.ranks).toBe(referenceRanks.length);
    const encoder = new TextEncoder();
    const wrong: number[] = [];
    for (let rank = 0; rank < referenceRanks.length; rank++) {
      const entry = referenceRanks[rank]!;
      const expected = typeof entry === "string" ? encoder.encode(entry) : Uint8Array.from(entry);
      const ours = counter.bytesOf(rank);
      if (ours.length !== expected.length || ours.some((b, i) => b !== expected[i]) || counter.rankOf(expected) !== rank) wrong.push(rank);
    }
    expect(wrong).toEqual([]);
  });

  test("counts equal the library's on a varied corpus", () => {
    const corpus = [
      "hello world",
      "Hello, World! How are you doing today?",
      "   leading spaces\n\n\ttabs\r\nCRLF  \n",
      "The quick brown fox jumps over the lazy dog. 1234567890 3.14159 1,000,000",
      "function foo(bar) {\n  return bar.map((x) => x * 2).filter(Boolean);\n}\n",
      "日本語のテキストです。中文文本。한국어 텍스트.",
      "Emoji 🚀🔥👍🏽 and a family 👨‍👩‍👧‍👦",
      "ÀÉÎÕÜ ñ ß ø å Ελληνικά Русский עברית العربية हिन्दी",
      "<|endoftext|> <|im_start|>user\nhi<|im_end|> <|endofprompt|>",
      "don't can't WON'T I'LL we've they'RE",
      "a".repeat(300),
      "https://example.com/path?query=1&x=2#frag",
      '{"json": [1, 2, {"a": null, "b": "\\u00e9"}]}',
      "\u0000\u0001\u007f\u00a0\u2028 odd characters",
      "",
      " ",
      "\n",
      "🧑‍🚀".repeat(30),
    ];
    const alphabet = [
      ..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n\t\r.,;:!?'\"()[]{}<>|_-+=*/\\@#$%^&~`éüñßøあいうえお漢字한글🙂🚀\u0301",
    ];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 2000; i++) {
      let text = "";
      const length = 1 + Math.floor(random() * 120);
      for (let j = 0; j < length; j++) text += alphabet[Math.floor(random() * alphabet.length)];
      corpus.push(text);
    }
    const differing = corpus.filter((text) => counter.count(text) !== reference.countTokens(text, AS_TEXT));
    expect(differing).toEqual([]);
  });

  test("long pieces (one 'word' of thousands of bytes, merged with the heap) count as the library's", () => {
    const letters = [..."abcdefghijklmnopqrstuvwxyzéüñßあいう漢字한글"];
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const corpus = ["ab".repeat(10_000), "x".repeat(8_000), "Supercalifragilistic".repeat(200)];
    for (let i = 0; i < 100; i++) {
      let text = "";
      const length = 257 + Math.floor(random() * 3000);
      const alphabet = i % 2 ? 26 : letters.length; // plain letters, or with multi-byte ones
      for (let j = 0; j < length; j++) text += letters[Math.floor(random() * alphabet)];
      corpus.push(text);
    }
    const differing = corpus.filter((text) => counter.count(text) !== reference.countTokens(text, AS_TEXT));
    expect(differing.map((t) => t.slice(0, 40))).toEqual([]);
  });

  test("a 1 MB single word is counted (the body limit allows 10 MB; a quadratic merge would take hours)", () => {
    // The library counts 8,000 x's as 1,000 tokens of eight; a million make 125,000.
    expect(reference.countTokens("x".repeat(8_000), AS_TEXT)).toBe(1_000);
    expect(counter.count("x".repeat(1_000_000))).toBe(125_000);
  });
});
