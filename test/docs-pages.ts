// Reads guidance pages the way docs/rule-page-shape.md defines them: headings, tagged example blocks,
// relative links and GitHub-style anchors. Shared by the docs tests.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Heading {
  level: number;
  text: string;
  /** 1-based line. */
  line: number;
}

export type BlockRole = 'bad' | 'good' | 'context';

export interface CodeBlock {
  /** The whole info string after the fence. */
  info: string;
  language: string;
  /** Set only for blocks tagged bad / good / context. */
  role?: BlockRole;
  /** The `file=` attribute, if any. */
  file?: string;
  /** The `rule=` attribute of a guide's ❌ example: the rule that must flag it. */
  rule?: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The nearest non-blank line above the fence (for the ❌ / ✅ marker). */
  lineAbove: string;
  /** Index of the heading this block sits under (-1: before any heading). */
  headingIndex: number;
}

export interface Link {
  target: string;
  line: number;
}

export interface Page {
  file: string;
  lines: string[];
  headings: Heading[];
  blocks: CodeBlock[];
  links: Link[];
}

const FENCE = /^(\s*)(`{3,}|~{3,})(.*)$/;
const ROLES = new Set<string>(['bad', 'good', 'context']);

export function parsePage(file: string, text = fs.readFileSync(file, 'utf8')): Page {
  const lines = text.split(/\r?\n/);
  const headings: Heading[] = [];
  const blocks: CodeBlock[] = [];
  const links: Link[] = [];
  let fence: { marker: string; info: string; line: number; body: string[]; lineAbove: string } | undefined;
  let lastText = '';
  lines.forEach((lineText, index) => {
    const line = index + 1;
    if (fence) {
      const close = FENCE.exec(lineText);
      if (close && close[2].startsWith(fence.marker[0]) && close[2].length >= fence.marker.length && close[3].trim() === '') {
        blocks.push(toBlock(fence.info, fence.body.join('\n'), fence.line, fence.lineAbove, headings.length - 1));
        fence = undefined;
        lastText = '';
      } else {
        fence.body.push(lineText);
      }
      return;
    }
    const open = FENCE.exec(lineText);
    if (open) {
      fence = { marker: open[2], info: open[3].trim(), line, body: [], lineAbove: lastText };
      return;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(lineText);
    if (heading) headings.push({ level: heading[1].length, text: heading[2], line });
    for (const target of linkTargets(lineText)) links.push({ target, line });
    if (lineText.trim() !== '') lastText = lineText.trim();
  });
  return { file, lines, headings, blocks, links };
}

function toBlock(info: string, code: string, line: number, lineAbove: string, headingIndex: number): CodeBlock {
  const [language = '', ...words] = info.split(/\s+/).filter(Boolean);
  const role = words.find((word) => ROLES.has(word)) as BlockRole | undefined;
  const file = words.find((word) => word.startsWith('file='))?.slice('file='.length);
  const rule = words.find((word) => word.startsWith('rule='))?.slice('rule='.length);
  return { info, language, role, file, rule, code: code.endsWith('\n') ? code : `${code}\n`, line, lineAbove, headingIndex };
}

/** Inline-link targets on one line of prose, outside inline code spans. */
export function linkTargets(lineText: string): string[] {
  const prose = lineText.replace(/(`+)[\s\S]*?\1/g, '');
  const targets: string[] = [];
  const LINK = /!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
  for (let match = LINK.exec(prose); match; match = LINK.exec(prose)) targets.push(match[1]);
  return targets;
}

export function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target);
}

/** GitHub's heading anchors: inline markup dropped, lower case, punctuation removed, spaces to '-'. */
export function anchorsOf(page: Page): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const heading of page.headings) {
    const plain = heading.text
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/[`*]/g, '');
    const base = plain
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Problems with a page's relative links: missing files, missing anchors in Markdown targets. */
export function brokenLinks(page: Page, repoRoot: string): string[] {
  const problems: string[] = [];
  const where = (link: Link) => `${path.relative(repoRoot, page.file)}:${link.line}`;
  for (const link of page.links) {
    if (isExternal(link.target)) continue;
    const [rawPath, fragment] = link.target.split('#', 2) as [string, string | undefined];
    const targetFile = rawPath === '' ? page.file : path.resolve(path.dirname(page.file), decodeURIComponent(rawPath));
    if (!fs.existsSync(targetFile)) {
      problems.push(`${where(link)}: ${link.target} → ${path.relative(repoRoot, targetFile)} does not exist`);
      continue;
    }
    if (fragment === undefined || !targetFile.endsWith('.md')) continue;
    const anchors = anchorsOf(targetFile === page.file ? page : parsePage(targetFile));
    if (!anchors.has(fragment)) problems.push(`${where(link)}: ${link.target}: no heading with anchor #${fragment} in ${path.relative(repoRoot, targetFile)}`);
  }
  return problems;
}

/** The Markdown files whose links must resolve: rule pages, docs/**, the top-level README. */
export function markdownFiles(repoRoot: string): string[] {
  const files: string[] = [path.join(repoRoot, 'README.md')];
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.md')) files.push(full);
    }
  };
  walk(path.join(repoRoot, 'docs'));
  const rulesDir = path.join(repoRoot, 'rules');
  for (const entry of fs.readdirSync(rulesDir, { withFileTypes: true })) {
    const readme = path.join(rulesDir, entry.name, 'README.md');
    if (entry.isDirectory() && fs.existsSync(readme)) files.push(readme);
  }
  return files.sort();
}
