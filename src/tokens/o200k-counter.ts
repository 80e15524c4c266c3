/**
 * Counts tokens of OpenAI's o200k encoding from a compact table: the ranks' bytes in one buffer and
 * an open-addressing hash of them, ~5 MB in all, where gpt-tokenizer's encoder holds ~60–80 MB of
 * maps and strings once built. The ranks and the pre-tokenizer pattern are gpt-tokenizer's (the
 * rank list is read from its module file, embedded in the executable); the merge is the reference
 * byte-pair merge (tiktoken's): repeatedly join the adjacent pair of lowest rank, leftmost first.
 * test/tokens/o200k-counter.test.ts checks every rank's bytes and the counts against gpt-tokenizer's
 * over a varied corpus, special-token strings read as text.
 */
import { readFileSync } from "node:fs";
import ranksFile from "gpt-tokenizer/bpeRanks/o200k_base" with { type: "file" };
import { O200K_TOKEN_SPLIT_REGEX } from "gpt-tokenizer/encodingParams/constants";

const NONE = 0x7fffffff;

class RankTable {
  /** Every rank's bytes, one after the other; rank r is `bytes[starts[r]..starts[r + 1])`. */
  private readonly bytes: Uint8Array;
  private readonly starts: Int32Array;
  /** rank + 1 at the slot its bytes hash to (linear probing); 0 is empty. */
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(source: string) {
    const { bytes, starts, count } = readRankList(source);
    const end = starts[count]!;
    this.bytes = bytes.slice(0, end);
    this.starts = starts.slice(0, count + 1);
    let size = 1;
    while (size < count * 2) size <<= 1;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let rank = 0; rank < count; rank++) {
      let i = hash(this.bytes, this.starts[rank]!, this.starts[rank + 1]!) & this.mask;
      while (this.slots[i] !== 0) i = (i + 1) & this.mask;
      this.slots[i] = rank + 1;
    }
  }

  get size(): number {
    return this.starts.length - 1;
  }

  /** The bytes of `rank` (a view: do not change it). */
  bytesOf(rank: number): Uint8Array {
    return this.bytes.subarray(this.starts[rank]!, this.starts[rank + 1]!);
  }

  /** The rank of `buf[start..end)`, or `NONE`. */
  rank(buf: Uint8Array, start: number, end: number): number {
    const length = end - start;
    let i = hash(buf, start, end) & this.mask;
    for (;;) {
      const slot = this.slots[i]!;
      if (slot === 0) return NONE;
      const rank = slot - 1;
      const s = this.starts[rank]!;
      if (this.starts[rank + 1]! - s === length) {
        let k = 0;
        while (k < length && this.bytes[s + k] === buf[start + k]) k++;
        if (k === length) return rank;
      }
      i = (i + 1) & this.mask;
    }
  }
}

/** FNV-1a over the bytes. */
function hash(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h >>> 0;
}

/**
 * gpt-tokenizer's o200k rank list, read from its module's text: arrays (`const c0 = [ … ];`) of
 * JavaScript string literals (the token's text) or arrays of byte values (tokens that are not
 * UTF-8 text), one entry per rank. Each entry is decoded straight into the byte buffer — no string
 * or array is made per entry, so building the table leaves no garbage to grow the heap.
 */
function readRankList(source: string): { bytes: Uint8Array; starts: Int32Array; count: number } {
  let bytes = new Uint8Array(4 << 20);
  let starts = new Int32Array(1 << 18);
  let count = 0;
  let end = 0;
  const put = (b: number) => {
    if (end === bytes.length) {
      const grown = new Uint8Array(bytes.length * 2);
      grown.set(bytes);
      bytes = grown;
    }
    bytes[end++] = b;
  };
  const putCodePoint = (cp: number) => {
    if (cp < 0x80) put(cp);
    else if (cp < 0x800) {
      put(0xc0 | (cp >> 6));
      put(0x80 | (cp & 63));
    } else if (cp < 0x10000) {
      put(0xe0 | (cp >> 12));
      put(0x80 | ((cp >> 6) & 63));
      put(0x80 | (cp & 63));
    } else {
      put(0xf0 | (cp >> 18));
      put(0x80 | ((cp >> 12) & 63));
      put(0x80 | ((cp >> 6) & 63));
      put(0x80 | (cp & 63));
    }
  };
  const hex = (from: number, to: number) => {
    const value = Number.parseInt(source.slice(from, to), 16);
    if (!Number.isFinite(value)) throw new Error(`o200k rank list: bad escape at ${from}`);
    return value;
  };
  const endRank = () => {
    if (count + 1 === starts.length) {
      const grown = new Int32Array(starts.length * 2);
      grown.set(starts);
      starts = grown;
    }
    starts[++count] = end;
  };

  let i = 0;
  for (;;) {
    const open = source.indexOf("= [\n", i);
    if (open < 0) break;
    i = open + 4;
    for (;;) {
      // Between entries: commas and white space.
      let c = source.charCodeAt(i);
      while (c === 44 || c === 10 || c === 13 || c === 9 || c === 32) c = source.charCodeAt(++i);
      if (c === 93 /* ] */) {
        i++;
        break;
      }
      if (c === 91 /* [ */) {
        // Byte values.
        i++;
        for (;;) {
          c = source.charCodeAt(i);
          if (c === 93) {
            i++;
            break;
          }
          if (c >= 48 && c <= 57) {
            let value = 0;
            while (c >= 48 && c <= 57) {
              value = value * 10 + (c - 48);
              c = source.charCodeAt(++i);
            }
            put(value);
          } else i++;
        }
        endRank();
        continue;
      }
      if (c !== 34 /* " */) throw new Error(`o200k rank list: unexpected character at ${i}`);
      // A string literal: its characters as UTF-8.
      i++;
      for (;;) {
        c = source.charCodeAt(i);
        if (c === 34) {
          i++;
          break;
        }
        if (c === 92 /* \ */) {
          const e = source.charCodeAt(i + 1);
          i += 2;
          let cp: number;
          switch (e) {
            case 110:
              cp = 10;
              break; // n
            case 114:
              cp = 13;
              break; // r
            case 116:
              cp = 9;
              break; // t
            case 98:
              cp = 8;
              break; // b
            case 102:
              cp = 12;
              break; // f
            case 118:
              cp = 11;
              break; // v
            case 48:
              cp = 0;
              break; // 0
            case 120: // xNN
              cp = hex(i, i + 2);
              i += 2;
              break;
            case 117: // uNNNN or u{…}
              if (source.charCodeAt(i) === 123) {
                const close = source.indexOf("}", i);
                cp = hex(i + 1, close);
                i = close + 1;
              } else {
                cp = hex(i, i + 4);
                i += 4;
                // A surrogate pair written as two escapes.
                if (cp >= 0xd800 && cp < 0xdc00 && source.charCodeAt(i) === 92 && source.charCodeAt(i + 1) === 117) {
                  const low = hex(i + 2, i + 6);
                  if (low >= 0xdc00 && low < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                    i += 6;
                  }
                }
              }
              break;
            default:
              cp = e; // \" \\ \' and any other escaped character stand for themselves
          }
          putCodePoint(cp);
          continue;
        }
        const cp = source.codePointAt(i)!;
        i += cp > 0xffff ? 2 : 1;
        putCodePoint(cp);
      }
      endRank();
    }
  }
  if (count < 100_000) throw new Error(`o200k rank list: read ${count} ranks, expected ~200,000`);
  return { bytes, starts, count };
}

export class O200kCounter {
  // A file import: the path of the module's source, embedded in the executable (the type
  // declarations describe the evaluated module). Read only to build the table, then dropped.
  private readonly table = new RankTable(readFileSync(ranksFile as unknown as string, "utf8"));
  private readonly encoder = new TextEncoder();
  private scratch = new Uint8Array(1024);
  /** Piece boundaries and pair ranks of the merge, reused. */
  private bounds = new Int32Array(1025);
  private pairRanks = new Int32Array(1025);

  /** How many ranks the table holds (199,998 for o200k). */
  get ranks(): number {
    return this.table.size;
  }

  /** The rank whose bytes these are, or `null` (for checks of the table). */
  rankOf(bytes: Uint8Array): number | null {
    const rank = this.table.rank(bytes, 0, bytes.length);
    return rank === NONE ? null : rank;
  }

  /** The bytes of a rank (for checks of the table). */
  bytesOf(rank: number): Uint8Array {
    return this.table.bytesOf(rank);
  }

  /**
   * Tokens of `text`. With `longWords`, pieces longer than `LONG_WORD` characters are merged only
   * while its allowance of characters lasts (merging them costs far more a byte than ordinary
   * words do); past it each counts as one token per 2 bytes of UTF-8, as `token-estimate.ts`
   * estimates text past its exact part.
   */
  count(text: string, longWords?: { charsLeft: number }): number {
    let total = 0;
    for (const match of text.matchAll(O200K_TOKEN_SPLIT_REGEX)) {
      const piece = match[0];
      if (longWords && piece.length > LONG_WORD) {
        if (piece.length > longWords.charsLeft) {
          total += Math.ceil(Buffer.byteLength(piece) / 2);
          continue;
        }
        longWords.charsLeft -= piece.length;
      }
      total += this.countPiece(piece);
    }
    return total;
  }

  private countPiece(piece: string): number {
    if (this.scratch.length < piece.length * 3) {
      this.scratch = new Uint8Array(piece.length * 3);
      this.bounds = new Int32Array(piece.length * 3 + 1);
      this.pairRanks = new Int32Array(piece.length * 3 + 1);
    }
    const buf = this.scratch;
    const n = this.encoder.encodeInto(piece, buf).written;
    if (n <= 1 || this.table.rank(buf, 0, n) !== NONE) return 1;
    if (n > LONG_PIECE) return this.mergeLong(buf, n);
    // Byte-pair merge: parts are bytes[bounds[i]..bounds[i + 1]); pairRanks[i] is the rank of
    // parts i and i + 1 joined.
    const bounds = this.bounds;
    const ranks = this.pairRanks;
    let parts = n;
    for (let i = 0; i <= n; i++) bounds[i] = i;
    for (let i = 0; i < n - 1; i++) ranks[i] = this.table.rank(buf, i, i + 2);
    while (parts > 1) {
      let best = NONE;
      let at = -1;
      for (let i = 0; i < parts - 1; i++) {
        if (ranks[i]! < best) {
          best = ranks[i]!;
          at = i;
        }
      }
      if (at < 0) break;
      // Join parts `at` and `at + 1`: drop boundary at + 1.
      bounds.copyWithin(at + 1, at + 2, parts + 1);
      ranks.copyWithin(at + 1, at + 2, parts);
      parts--;
      ranks[at] = at + 1 < parts ? this.table.rank(buf, bounds[at]!, bounds[at + 2]!) : NONE;
      if (at > 0) ranks[at - 1] = this.table.rank(buf, bounds[at - 1]!, bounds[at + 1]!);
    }
    return parts;
  }

  /**
   * The same merge for a long piece (a "word" of thousands of bytes, which the quadratic scan
   * would take seconds or hours over): candidate pairs wait in a min-heap ordered by (rank, start),
   * so the lowest rank, leftmost, is still joined first; a pair whose parts changed since it was
   * queued is recognised when it comes out (its bytes' rank is no longer the one it was queued
   * with) and skipped.
   */
  private mergeLong(buf: Uint8Array, n: number): number {
    const table = this.table;
    // Parts by start offset: the end of each (exclusive), and the start of the one before; -1 once
    // a part has been joined to the one on its left.
    const end = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      end[i] = i + 1;
      prev[i] = i - 1;
    }
    const heap = new MinHeap();
    for (let i = 0; i < n - 1; i++) {
      const rank = table.rank(buf, i, i + 2);
      if (rank !== NONE) heap.push(rank, i);
    }
    let parts = n;
    while (heap.size > 0) {
      const rank = heap.topRank();
      const start = heap.pop();
      const mid = end[start]!;
      if (prev[start] === -2 || mid >= n || table.rank(buf, start, end[mid]!) !== rank) continue; // stale
      // Join the part at `mid` to the part at `start`.
      end[start] = end[mid]!;
      prev[mid] = -2;
      if (end[start]! < n) prev[end[start]!] = start;
      parts--;
      if (end[start]! < n) {
        const right = table.rank(buf, start, end[end[start]!]!);
        if (right !== NONE) heap.push(right, start);
      }
      const left = prev[start]!;
      if (left >= 0) {
        const leftRank = table.rank(buf, left, end[start]!);
        if (leftRank !== NONE) heap.push(leftRank, left);
      }
    }
    return parts;
  }
}

/** Pieces longer than this (in characters) count against a `count` call's long-word allowance. */
const LONG_WORD = 32;

/** Pieces longer than this (in bytes) are merged with the heap. */
const LONG_PIECE = 256;

/** A binary min-heap of (rank, start) pairs, compared by rank, then start. */
class MinHeap {
  private keys = new Float64Array(64);
  size = 0;

  push(rank: number, start: number): void {
    if (this.size === this.keys.length) {
      const grown = new Float64Array(this.keys.length * 2);
      grown.set(this.keys);
      this.keys = grown;
    }
    // rank < 2^18 and start < 2^32: one exact double orders by rank, then start.
    const key = rank * 4294967296 + start;
    const keys = this.keys;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent]! <= key) break;
      keys[i] = keys[parent]!;
      i = parent;
    }
    keys[i] = key;
  }

  topRank(): number {
    return Math.floor(this.keys[0]! / 4294967296);
  }

  /** Removes the smallest pair; returns its start. */
  pop(): number {
    const keys = this.keys;
    const top = keys[0]!;
    const last = keys[--this.size]!;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.size) break;
      const child = left + 1 < this.size && keys[left + 1]! < keys[left]! ? left + 1 : left;
      if (keys[child]! >= last) break;
      keys[i] = keys[child]!;
      i = child;
    }
    keys[i] = last;
    return top % 4294967296;
  }
}
