// PR mode: the lines changed since a git ref (committed, staged, unstaged and untracked), so only
// findings that touch them are reported while the whole project is still analysed.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Finding } from '../engine/types';

export class GitError extends Error {}

/** Absolute file → changed line numbers (1-based, in the working-tree text); `all` for new files. */
export type ChangedLines = Map<string, Set<number> | 'all'>;

function git(cwd: string, args: string[]): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.error) throw new GitError(`cannot run git: ${result.error.message}`);
  if (result.status !== 0) throw new GitError(result.stderr.trim() || `git ${args.join(' ')} failed`);
  return result.stdout;
}

export function changedLinesSince(ref: string, cwd: string): ChangedLines {
  const top = git(cwd, ['rev-parse', '--show-toplevel']).trim();
  // Resolve first: a typo in the ref is a usage error, not "nothing changed".
  git(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  const diff = git(top, ['-c', 'core.quotePath=false', 'diff', '--no-color', '--no-ext-diff', '--unified=0', '--no-renames', ref, '--']);
  const changed: ChangedLines = new Map();
  let current: Set<number> | undefined;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+++ ')) {
      const target = line.slice(4);
      if (target === '/dev/null') {
        current = undefined;
        continue;
      }
      const file = path.resolve(top, unquote(target).replace(/^b\//, ''));
      current = new Set<number>();
      changed.set(file, current);
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (hunk && current) {
      const start = Number(hunk[1]);
      const count = hunk[2] === undefined ? 1 : Number(hunk[2]);
      // A pure deletion touches the line after it (the code that now runs in its place).
      if (count === 0) current.add(Math.max(1, start + 1));
      for (let i = 0; i < count; i++) current.add(start + i);
    }
  }
  for (const file of git(top, ['-c', 'core.quotePath=false', 'ls-files', '--others', '--exclude-standard', '-z']).split('\0')) {
    if (file) changed.set(path.resolve(top, file), 'all');
  }
  return changed;
}

function realpath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

function unquote(file: string): string {
  if (!file.startsWith('"')) return file;
  // git quotes paths with unusual characters C-style.
  return JSON.parse(file.replace(/\\([0-7]{3})/g, (_, octal: string) => `\\u00${Number.parseInt(octal, 8).toString(16).padStart(2, '0')}`)) as string;
}

function touches(changed: ChangedLines, file: string, startLine: number, endLine: number): boolean {
  // git reports real paths; the working folder may be reached through a symbolic link.
  const lines = changed.get(path.resolve(file)) ?? changed.get(realpath(path.resolve(file)));
  if (!lines) return false;
  if (lines === 'all') return true;
  for (let line = startLine; line <= endLine; line++) if (lines.has(line)) return true;
  return false;
}

/**
 * A finding is part of the change when its own range or any step of its evidence touches changed
 * lines: a helper edited to query the database makes the loop that calls it a new N+1.
 */
export function touchesChange(finding: Finding, changed: ChangedLines): boolean {
  if (touches(changed, finding.file, finding.range.start.line, finding.range.end.line)) return true;
  return finding.related.some((related) => touches(changed, related.file, related.range.start.line, related.range.end.line));
}
