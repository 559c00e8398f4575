// Fixes never corrupt: every quick-fix the engine offers on any fixture (rule folders and the demo service,
// so rules that land later are covered automatically), applied on its own, leaves code that parses,
// adds no type error in the files it touches or in the files importing them, writes only new files that
// parse, and removes the finding it fixes. Fix-all (every safe fix of a file at once, as --fix plans it)
// must leave the same guarantees. It works on a copy of the fixtures with one project per rule folder
// (harness perFolderCopy): each of the ~150 fixes rebuilds a program twice, and small programs rebuild fast.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Project, type SourceFile } from 'ts-morph';
import { loadModule, parseSync } from 'libpg-query';
import { planFixes, syntaxError } from '../../server/src/engine/fixes';
import { applyTextEdits } from '../../server/src/engine/text';
import type { FileResult, Finding, Fix } from '../../server/src/engine/types';
import { FIXTURES, REPO_ROOT, analyzeFolder, fixtureFiles, perFolderCopy, type FolderRun } from '../harness';

/** Type-checks edited texts in the project of their tsconfig, one ts-morph project per tsconfig. */
class TypeChecker {
  private readonly projects = new Map<string, Project>();

  private projectOf(file: string): Project {
    let dir = path.dirname(file);
    while (!fs.existsSync(path.join(dir, 'tsconfig.json')) && dir !== path.dirname(dir)) dir = path.dirname(dir);
    const tsconfig = path.join(dir, 'tsconfig.json');
    let project = this.projects.get(tsconfig);
    if (!project) {
      project = new Project({ tsConfigFilePath: tsconfig });
      this.projects.set(tsconfig, project);
    }
    return project;
  }

  private sourceFile(file: string): SourceFile {
    const project = this.projectOf(file);
    return project.getSourceFile(file) ?? project.addSourceFileAtPath(file);
  }

  /** Diagnostics (as comparable strings, positions left out) of the files and their direct importers. */
  private diagnostics(files: readonly string[], withImporters = true): Map<string, string[]> {
    const result = new Map<string, string[]>();
    const targets = new Set<SourceFile>();
    for (const file of files) {
      const sourceFile = this.sourceFile(file);
      targets.add(sourceFile);
      if (withImporters) for (const importer of sourceFile.getReferencingSourceFiles()) targets.add(importer);
    }
    for (const target of targets) {
      const program = target.getProject().getProgram().compilerObject;
      const compiled = program.getSourceFile(target.getFilePath())!;
      const diagnostics = [...program.getSyntacticDiagnostics(compiled), ...program.getSemanticDiagnostics(compiled)];
      result.set(target.getFilePath(), diagnostics.map((d) => `TS${d.code}: ${typeof d.messageText === 'string' ? d.messageText : d.messageText.messageText}`));
    }
    return result;
  }

  /** Diagnostics of the unedited fixtures, per file: every fix is compared with the same starting point. */
  private readonly original = new Map<string, string[]>();

  private originalDiagnostics(files: readonly string[]): Map<string, string[]> {
    const missing = files.filter((file) => !this.original.has(file));
    if (missing.length > 0) for (const [file, messages] of this.diagnostics(missing)) this.original.set(file, messages);
    const result = new Map<string, string[]>();
    for (const file of files) {
      const sourceFile = this.sourceFile(file);
      for (const target of [sourceFile, ...sourceFile.getReferencingSourceFiles()]) {
        if (!this.original.has(target.getFilePath())) for (const [known, messages] of this.diagnostics([target.getFilePath()], false)) this.original.set(known, messages);
        result.set(target.getFilePath(), this.original.get(target.getFilePath())!);
      }
    }
    return result;
  }

  /** Type errors the new texts add (compared with the unedited texts), then the texts are restored. */
  newErrors(texts: ReadonlyMap<string, string>): string[] {
    const files = [...texts.keys()];
    const before = this.originalDiagnostics(files);
    const originals = new Map(files.map((file) => [file, this.sourceFile(file).getFullText()]));
    try {
      for (const [file, text] of texts) this.projectOf(file).createSourceFile(file, text, { overwrite: true });
      const after = this.diagnostics(files);
      const added: string[] = [];
      for (const [file, messages] of after) {
        const remaining = [...(before.get(file) ?? [])];
        for (const message of messages) {
          const index = remaining.indexOf(message);
          if (index >= 0) remaining.splice(index, 1);
          else added.push(`${shown(file)}: ${message}`);
        }
      }
      return added;
    } finally {
      for (const [file, text] of originals) this.projectOf(file).createSourceFile(file, text, { overwrite: true });
    }
  }
}

let copy = FIXTURES;
/** A path as the repository names it: failures point at the fixture, not at the temporary copy. */
const shown = (file: string): string => path.relative(REPO_ROOT, path.join(FIXTURES, path.relative(copy, file)));

function describeFix(finding: Finding, fix: Fix): string {
  return `${shown(finding.file)}:${finding.range.start.line} ${finding.ruleId} — ${fix.kind} '${fix.title}'`;
}

describe('reliability: fix safety over every quick-fix of every fixture', function () {
  this.timeout(30 * 60 * 1000);
  let run: FolderRun;
  let checker: TypeChecker;
  const texts = new Map<string, string>();
  const textOf = (file: string): string => texts.get(file) ?? fs.readFileSync(file, 'utf8');

  before(async function () {
    await loadModule();
    copy = perFolderCopy();
    run = await analyzeFolder(copy, fixtureFiles(copy));
    for (const result of run.results) texts.set(result.file, result.text);
    checker = new TypeChecker();
  });

  after(function () {
    if (copy !== FIXTURES) fs.rmSync(path.dirname(copy), { recursive: true, force: true });
  });

  /** Problems of the files a set of edits produces: parse, creations and new type errors. */
  function resultProblems(fixes: readonly Fix[]): { problems: string[]; edited: Map<string, string> } {
    const problems: string[] = [];
    const byFile = new Map<string, Fix['edits']>();
    for (const fix of fixes) for (const edit of fix.edits) byFile.set(edit.file, [...(byFile.get(edit.file) ?? []), edit]);
    const edited = new Map<string, string>();
    for (const [file, edits] of byFile) {
      let after: string;
      try {
        after = applyTextEdits(textOf(file), edits);
      } catch (error) {
        problems.push(`edits cannot be applied to ${shown(file)}: ${(error as Error).message}`);
        continue;
      }
      if (after === textOf(file)) problems.push(`edits leave ${shown(file)} unchanged`);
      const parseError = syntaxError(file, after);
      if (parseError) problems.push(`${shown(file)} no longer parses: ${parseError}`);
      edited.set(file, after);
    }
    for (const fix of fixes) {
      for (const creation of fix.creates ?? []) {
        if (fs.existsSync(creation.file)) problems.push(`creates ${creation.file}, which exists`);
        if (!creation.content.trim()) problems.push(`creates an empty ${creation.file}`);
        if (/\.sql$/i.test(creation.file)) {
          try {
            parseSync(creation.content);
          } catch (error) {
            problems.push(`creates ${path.basename(creation.file)}, which PostgreSQL cannot parse: ${(error as Error).message}`);
          }
        }
        const parseError = syntaxError(creation.file, creation.content);
        if (parseError) problems.push(`creates ${path.basename(creation.file)}, which does not parse: ${parseError}`);
      }
    }
    if (problems.length === 0 && edited.size > 0) problems.push(...checker.newErrors(edited));
    return { problems, edited };
  }

  /** Re-analyses edited files through the engine; the texts are put back afterwards. */
  function reanalyse(edited: ReadonlyMap<string, string>, file: string): FileResult {
    const engine = run.engineFor(file);
    try {
      for (const [editedFile, text] of edited) engine.setFileText(editedFile, text);
      return engine.analyzeFile(file);
    } finally {
      for (const editedFile of edited.keys()) engine.setFileText(editedFile, undefined);
    }
  }

  it('every quick-fix, applied alone, parses, type-checks and removes its finding', function () {
    const problems: string[] = [];
    let verified = 0;
    let offered = 0;
    const rules = new Set<string>();
    for (const result of run.results) {
      for (const finding of result.findings) {
        for (const fix of finding.fixes) {
          offered++;
          rules.add(finding.ruleId);
          const { problems: fixProblems, edited } = resultProblems([fix]);
          if (fixProblems.length === 0) {
            // An info note inside the code the fix wrote (a DataLoader batch function still to be made
            // set-based) is guidance about the new code, not the finding surviving.
            const inserted = fix.edits.map((edit) => edit.newText).filter((text) => text.trim());
            const isNoteOnFixCode = (r: FileResult, f: Finding): boolean => f.severity === 'info' && inserted.some((text) => text.includes(r.text.slice(f.range.start.offset, f.range.end.offset)));
            const sameRule = (r: FileResult, notesOnFixCode = 0): number => r.findings.filter((f) => f.ruleId === finding.ruleId).length - notesOnFixCode;
            const after = reanalyse(edited, finding.file);
            const notes = after.findings.filter((f) => f.ruleId === finding.ruleId && isNoteOnFixCode(after, f)).length;
            if (edited.has(finding.file) && sameRule(after, notes) >= sameRule(result)) {
              fixProblems.push(`the finding is still reported after the fix (${sameRule(result)} ${finding.ruleId} findings before, ${sameRule(after, notes)} after)`);
            }
            if (after.messages.some((m) => m.level === 'error')) fixProblems.push(`engine error after the fix: ${after.messages.map((m) => m.message).join('; ')}`);
          }
          if (fixProblems.length) problems.push(`${describeFix(finding, fix)}:\n    ${fixProblems.join('\n    ')}`);
          else verified++;
        }
      }
    }
    console.log(`      fix safety: ${offered} quick-fixes offered by ${rules.size} rules (${[...rules].sort().join(', ')}), fixes verified = ${verified}, failures = ${problems.length}`);
    for (const problem of problems) console.log(`      ✗ ${problem}`);
    assert.deepEqual(problems, []);
    assert.ok(verified > 0, 'no quick-fix was found in the fixtures, so nothing was verified');
  });

  it('catches a corrupted fix: one that breaks the syntax, one that breaks the types', function () {
    const result = run.results.find((r) => r.findings.some((f) => f.fixes.length > 0));
    assert.ok(result, 'no fixture finding has a fix');
    const fix = result.findings.find((f) => f.fixes.length > 0)!.fixes[0];
    const end = textOf(result.file).length;
    const unbalanced: Fix = { ...fix, edits: [...fix.edits.map((edit) => ({ ...edit, newText: `${edit.newText})` }))] };
    assert.match(resultProblems([unbalanced]).problems.join('\n'), /no longer parses/);
    const mistyped: Fix = { ...fix, edits: [...fix.edits, { file: result.file, start: end, end, newText: "\nexport const scalelintProbe: number = 'text';\n" }] };
    assert.match(resultProblems([mistyped]).problems.join('\n'), /TS2322/);
  });

  it('fix-all per file (every safe fix at once, as --fix plans it) parses and type-checks', function () {
    const problems: string[] = [];
    let files = 0;
    let applied = 0;
    for (const result of run.results) {
      const plan = planFixes(result.findings, texts);
      if (plan.applied.length === 0) continue;
      files++;
      applied += plan.applied.length;
      const { problems: planProblems } = resultProblems(plan.applied.map((entry) => entry.fix));
      if (planProblems.length) problems.push(`${shown(result.file)} (${plan.applied.length} fixes):\n    ${planProblems.join('\n    ')}`);
      for (const skipped of plan.skipped) {
        if (!/overlaps another fix/.test(skipped.reason)) problems.push(`${describeFix(skipped.finding, skipped.fix)}: the planner refused it: ${skipped.reason}`);
      }
    }
    console.log(`      fix safety: fix-all verified on ${files} files (${applied} safe fixes applied together)`);
    assert.deepEqual(problems, []);
  });
});
