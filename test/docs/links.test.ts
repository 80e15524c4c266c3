/**
 * The documentation's relative links resolve: every `[text](path)` and `[text](path#anchor)` in
 * README.md and docs/ names a file of the repository, and every anchor a heading of the file it
 * points into (GitHub's heading ids). A section moved or renamed without its links fails here.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = join(import.meta.dir, "..", "..");

function markdownFiles(): string[] {
  const files = [join(root, "README.md")];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".md")) files.push(path);
    }
  };
  if (existsSync(join(root, "docs"))) walk(join(root, "docs"));
  return files;
}

/** Markdown without its fenced code blocks and inline code spans (links inside them are not links). */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, "``");
}

/** GitHub's id for a heading: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2, … */
function headingIds(markdown: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  const text = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
  for (const [, heading] of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = heading!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n === 0 ? base : `${base}-${n}`);
  }
  return ids;
}

type Link = { from: string; line: number; target: string };

function relativeLinks(file: string): Link[] {
  const links: Link[] = [];
  prose(readFileSync(file, "utf8"))
    .split("\n")
    .forEach((text, i) => {
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target!)) continue; // https:, mailto:
        links.push({ from: file, line: i + 1, target: target! });
      }
    });
  return links;
}

function problem(link: Link): string | undefined {
  const [path, anchor] = link.target.split("#", 2) as [string, string | undefined];
  const file = path === "" ? link.from : resolve(dirname(link.from), decodeURIComponent(path));
  const where = `${relative(root, link.from)}:${link.line} (${link.target})`;
  if (!existsSync(file)) return `${where}: no file ${relative(root, file)}`;
  if (anchor === undefined || anchor === "") return undefined;
  if (!file.endsWith(".md")) return `${where}: an anchor into a file that is not Markdown`;
  if (!headingIds(readFileSync(file, "utf8")).has(decodeURIComponent(anchor).toLowerCase())) {
    return `${where}: no heading #${anchor} in ${relative(root, file)}`;
  }
  return undefined;
}

describe("documentation links", () => {
  test("heading ids follow GitHub's rules", () => {
    const ids = headingIds(
      "# The API\n## `openai` in short\n## Size caps and the `truncated` marker\n### 5,000 open streams\n## Errors\n## Errors\n",
    );
    expect([...ids]).toEqual([
      "the-api",
      "openai-in-short",
      "size-caps-and-the-truncated-marker",
      "5000-open-streams",
      "errors",
      "errors-1",
    ]);
  });

  test("every relative link and anchor in README.md and docs/ resolves", () => {
    const files = markdownFiles();
    expect(files.length).toBeGreaterThan(1);
    const broken = files
      .flatMap(relativeLinks)
      .map(problem)
      .filter((p) => p !== undefined);
    expect(broken).toEqual([]);
  });
});
