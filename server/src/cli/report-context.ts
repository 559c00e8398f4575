// What every formatter needs besides the findings: where paths are relative to, and the rules.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { guidePath } from '../engine/docs';
import type { RuleMeta, Severity } from '../engine/types';

export interface RuleInfo {
  meta: RuleMeta;
  /** Severity under the config and --rule overrides; 'off' when disabled. */
  severity: Severity | 'off';
  docsUrl: string;
}

export interface ReportContext {
  cwd: string;
  rules: readonly RuleInfo[];
  toolVersion: string;
  color: boolean;
}

export function displayPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return (relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file).split(path.sep).join('/');
}

/** The package version, read next to the bundle (dist/cli.js) or the compiled sources. */
export function toolVersion(): string {
  for (let dir = __dirname, i = 0; i < 5; i++, dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'scalelint' && manifest.version) return manifest.version;
    } catch {
      // keep looking upwards
    }
  }
  return '0.0.0';
}

const guideCache = new Map<string, string | undefined>();

/** A rule's guidance page (rules/<id>/README.md) as shipped beside the bundle, if it is there. */
export function ruleGuide(ruleId: string): string | undefined {
  if (guideCache.has(ruleId)) return guideCache.get(ruleId);
  let text: string | undefined;
  for (let dir = __dirname, i = 0; i < 6 && text === undefined; i++, dir = path.dirname(dir)) {
    try {
      text = fs.readFileSync(path.join(dir, guidePath(ruleId)), 'utf8');
    } catch {
      // not at this level
    }
  }
  guideCache.set(ruleId, text);
  return text;
}
