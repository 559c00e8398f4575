// The guidance pages are part of the product: every registered rule has one in the shape of
// docs/rule-page-shape.md, its ❌ examples are flagged by the real engine and its ✅ examples are not,
// and every relative link between pages resolves.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import { RULES } from '../rules';
import { Engine, UNUSED_SUPPRESSION } from '../server/src/engine/engine';
import { DEFAULT_DOCS_BASE_URL, guidePath } from '../server/src/engine/docs';
import type { Finding, Rule } from '../server/src/engine/types';
import { brokenLinks, markdownFiles, parsePage, type CodeBlock, type Page } from './docs-pages';
import { FIXTURES, REPO_ROOT, typeErrors } from './harness';

/** The `##` sections of a rule page, in order (docs/rule-page-shape.md). */
export const RULE_PAGE_SECTIONS = [
  'What it flags',
  'Why it hurts at scale',
  'How scalelint detects it',
  'What it deliberately ignores',
  'Examples',
  'Quick-fixes and limits',
  'Configuration',
  'When to suppress',
  'Further reading',
];

const WORK_DIR = path.join(REPO_ROOT, 'test-artifacts', 'docs-examples');
const EXAMPLE_LANGUAGES = new Set(['ts', 'tsx', 'js']);

function pagePath(rule: Rule): string {
  return path.join(REPO_ROOT, 'rules', rule.meta.id, 'README.md');
}

/** Lines of a `##` section, without its heading; undefined when the page lacks it. */
function sectionText(page: Page, title: string): string | undefined {
  const index = page.headings.findIndex((heading) => heading.level === 2 && heading.text === title);
  if (index < 0) return undefined;
  const next = page.headings.slice(index + 1).find((heading) => heading.level <= 2);
  return page.lines.slice(page.headings[index].line, next ? next.line - 1 : page.lines.length).join('\n');
}

/** Everything docs/rule-page-shape.md says a page must be, as a list of problems. */
function shapeProblems(rule: Rule, page: Page): string[] {
  const { id, description, defaultSeverity, fixKind } = rule.meta;
  const problems: string[] = [];
  const prose = page.lines.map((line, index) => ({ text: line.trim(), line: index + 1 })).filter((line) => line.text !== '');
  if (page.lines[0] !== `# ${id}`) problems.push(`line 1 must be "# ${id}", found "${page.lines[0]}"`);
  if (prose[1]?.text !== description) problems.push(`the first paragraph must be meta.description exactly:\n  expected: ${description}\n  found:    ${prose[1]?.text}`);
  const metaLine = `**Default severity:** ${defaultSeverity} · **Fix kind:** ${fixKind}`;
  if (prose[2]?.text !== metaLine) problems.push(`the line after the description must be: ${metaLine}\n  found: ${prose[2]?.text}`);

  const sections = page.headings.filter((heading) => heading.level === 2).map((heading) => heading.text);
  if (JSON.stringify(sections) !== JSON.stringify(RULE_PAGE_SECTIONS)) {
    problems.push(`## sections must be, in order: ${RULE_PAGE_SECTIONS.join(' | ')}\n  found: ${sections.join(' | ')}`);
  }
  if (page.headings.some((heading) => heading.level === 1 && heading.line !== 1)) problems.push('only line 1 may be a # heading');

  const examples = page.blocks.filter((block) => block.role === 'bad' || block.role === 'good');
  if (!examples.some((block) => block.role === 'bad')) problems.push('no ```ts bad example');
  if (!examples.some((block) => block.role === 'good')) problems.push('no ```ts good example');
  for (const block of page.blocks) {
    if (!block.role) continue;
    const at = `block at line ${block.line} (${block.info})`;
    if (block.role === 'context') {
      if (!block.file) problems.push(`${at}: a context block needs file=<path>`);
      continue;
    }
    if (!EXAMPLE_LANGUAGES.has(block.language)) problems.push(`${at}: examples are ts, tsx or js`);
    const marker = block.role === 'bad' ? '❌' : '✅';
    if (!block.lineAbove.startsWith(marker)) problems.push(`${at}: the line above a ${block.role} example must start with ${marker}, found "${block.lineAbove}"`);
    if (block.file && (path.isAbsolute(block.file) || block.file.split(/[\\/]/).includes('..'))) problems.push(`${at}: file= must be a relative path inside the example project`);
  }
  const examplesHeading = page.headings.findIndex((heading) => heading.level === 2 && heading.text === 'Examples');
  if (examplesHeading >= 0) {
    const end = page.headings.findIndex((heading, index) => index > examplesHeading && heading.level <= 2);
    const clients = page.headings.map((heading, index) => ({ heading, index })).filter(({ heading, index }) => heading.level === 3 && index > examplesHeading && (end < 0 || index < end));
    if (clients.length === 0) problems.push('## Examples needs one ### per supported client');
    for (const { heading, index } of clients) {
      const subEnd = page.headings.findIndex((other, otherIndex) => otherIndex > index && other.level <= 3);
      const inside = examples.filter((block) => block.headingIndex >= index && (subEnd < 0 || block.headingIndex < subEnd));
      if (inside.length === 0) problems.push(`### ${heading.text} (line ${heading.line}) has no bad/good example`);
    }
  }
  const suppress = sectionText(page, 'When to suppress') ?? '';
  if (!suppress.includes('scalelint-disable') || !suppress.includes(id)) problems.push(`## When to suppress must show the comment: scalelint-disable-next-line ${id} -- <why>`);
  const reading = sectionText(page, 'Further reading') ?? '';
  if (!/\]\(\.\.\/\.\.\/docs\/guides\/[^)]+\.md/.test(reading)) problems.push('## Further reading must link at least one guide (../../docs/guides/<guide>.md)');
  return problems;
}

interface ExampleRun {
  findings: Finding[];
  problems: string[];
}

let projectCounter = 0;

function writeFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/** Context blocks an example sees: those above it under the same heading (docs/rule-page-shape.md). */
function contextsOf(page: Page, example: CodeBlock): CodeBlock[] {
  return page.blocks.filter((block) => block.role === 'context' && block.headingIndex === example.headingIndex && block.line < example.line);
}

/**
 * Analyses a page's examples with the real engine and type-checks them. An example with context
 * blocks or a `file=` path gets a project of its own; the others share one project, each in its own
 * folder (they are self-contained modules, so they cannot see each other), which keeps the suite fast.
 */
function analyseExamples(page: Page, examples: CodeBlock[], tsCompilerOptions: unknown): Map<CodeBlock, ExampleRun> {
  const runs = new Map<CodeBlock, ExampleRun>();
  const shared = examples.filter((example) => !example.file && contextsOf(page, example).length === 0);
  const alone = examples.filter((example) => !shared.includes(example));
  const projects: { dir: string; files: Map<CodeBlock, string> }[] = [];
  const newProject = (): { dir: string; files: Map<CodeBlock, string> } => {
    const dir = path.join(WORK_DIR, `${process.pid}-${++projectCounter}`);
    writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: tsCompilerOptions, include: ['**/*.ts', '**/*.tsx', '**/*.js'] }, null, 2));
    // A package root of its own: schema discovery (migrations) stops here instead of at the repository.
    writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: `docs-example-${projectCounter}`, private: true }, null, 2));
    const project = { dir, files: new Map<CodeBlock, string>() };
    projects.push(project);
    return project;
  };
  try {
    if (shared.length > 0) {
      const project = newProject();
      for (const example of shared) {
        const file = path.join(project.dir, `line-${example.line}`, `example.${example.language}`);
        writeFile(file, example.code);
        project.files.set(example, file);
      }
    }
    for (const example of alone) {
      const project = newProject();
      for (const context of contextsOf(page, example)) writeFile(path.join(project.dir, context.file as string), context.code);
      const file = path.join(project.dir, example.file ?? `src/example.${example.language}`);
      writeFile(file, example.code);
      project.files.set(example, file);
    }
    for (const project of projects) {
      const config = path.join(project.dir, 'scalelint.config.json');
      const engine = new Engine({ rules: RULES, root: project.dir, configFile: fs.existsSync(config) ? config : null });
      const files = [...project.files.values()];
      const results = engine.analyzeFiles(files);
      const typeProblems = typeErrors(path.join(project.dir, 'tsconfig.json'), files);
      for (const [example, file] of project.files) {
        const result = results.find((candidate) => candidate.file === file);
        const label = path.relative(project.dir, file);
        const problems = (result?.messages ?? [{ level: 'error', message: 'not analysed' }]).filter((message) => message.level !== 'info').map((message) => `engine ${message.level}: ${message.message}`);
        // typeErrors() prints paths relative to the repository; keep this example's own.
        problems.push(...typeProblems.filter((problem) => problem.includes(label)).map((problem) => `type error: ${problem.slice(problem.indexOf(label))}`));
        runs.set(example, { findings: result?.findings ?? [], problems });
      }
    }
  } finally {
    for (const project of projects) fs.rmSync(project.dir, { recursive: true, force: true });
  }
  return runs;
}

function describeFindings(findings: Finding[]): string {
  return findings.map((finding) => `  ${finding.ruleId} at line ${finding.range.start.line}: ${finding.message}`).join('\n') || '  (none)';
}

describe('guidance pages', function () {
  const fixtureTsconfig = parseJsonc(fs.readFileSync(path.join(FIXTURES, 'tsconfig.json'), 'utf8')) as { compilerOptions: unknown };

  after(function () {
    if (fs.existsSync(WORK_DIR) && fs.readdirSync(WORK_DIR).length === 0) fs.rmSync(WORK_DIR, { recursive: true, force: true });
  });

  for (const rule of RULES) {
    const id = rule.meta.id;
    describe(id, function () {
      it(`has rules/${id}/README.md in the shape of docs/rule-page-shape.md`, function () {
        assert.ok(fs.existsSync(pagePath(rule)), `rules/${id}/README.md is missing: every registered rule needs its guidance page (docs/rule-page-shape.md)`);
        const problems = shapeProblems(rule, parsePage(pagePath(rule)));
        assert.deepEqual(problems, [], `rules/${id}/README.md:\n${problems.join('\n')}`);
      });

      // Examples are read when the suite is defined, so each gets its own test; a missing page fails above.
      const page = fs.existsSync(pagePath(rule)) ? parsePage(pagePath(rule)) : undefined;
      const examples = page?.blocks.filter((block) => block.role === 'bad' || block.role === 'good') ?? [];
      let runs = new Map<CodeBlock, ExampleRun>();
      before(function () {
        if (page && examples.length > 0) runs = analyseExamples(page, examples, fixtureTsconfig.compilerOptions);
      });
      for (const example of examples) {
        const where = `README.md:${example.line}`;
        if (example.role === 'bad') {
          it(`❌ example at ${where} is flagged by ${id}`, function () {
            const run = runs.get(example)!;
            assert.deepEqual(run.problems, [], `example at ${where} must analyse cleanly and type-check`);
            assert.ok(
              run.findings.some((finding) => finding.ruleId === id),
              `the ❌ example at ${where} produced no ${id} finding; findings:\n${describeFindings(run.findings)}`,
            );
          });
        } else {
          it(`✅ example at ${where} produces no finding`, function () {
            const run = runs.get(example)!;
            assert.deepEqual(run.problems, [], `example at ${where} must analyse cleanly and type-check`);
            // Not this rule, not unused-suppression, not any other rule: readers copy ✅ code.
            assert.deepEqual(run.findings.map((finding) => finding.ruleId), [], `the ✅ example at ${where} must be clean code; findings:\n${describeFindings(run.findings)}`);
          });
        }
      }
    });
  }

  // Guides teach with the same tagged examples: ✅ code must be clean under every rule, and all of it
  // must type-check, since readers copy it.
  const guidesDir = path.join(REPO_ROOT, 'docs', 'guides');
  const guides = fs.existsSync(guidesDir) ? fs.readdirSync(guidesDir).filter((name) => name.endsWith('.md')).sort() : [];
  for (const guide of guides) {
    describe(`docs/guides/${guide}`, function () {
      const page = parsePage(path.join(guidesDir, guide));
      it('tags every example with a marker that matches it', function () {
        const problems = page.blocks
          .filter((block) => block.role === 'bad' || block.role === 'good')
          .filter((block) => !block.lineAbove.startsWith(block.role === 'bad' ? '❌' : '✅'))
          .map((block) => `${guide}:${block.line}: the line above a ${block.role} example must start with ${block.role === 'bad' ? '❌' : '✅'}`);
        assert.deepEqual(problems, []);
      });
      const examples = page.blocks.filter((block) => block.role === 'bad' || block.role === 'good');
      let runs = new Map<CodeBlock, ExampleRun>();
      before(function () {
        if (examples.length > 0) runs = analyseExamples(page, examples, fixtureTsconfig.compilerOptions);
      });
      for (const example of examples) {
        const where = `${guide}:${example.line}`;
        const claim = example.role === 'good' ? ' and produces no finding' : example.rule ? ` and is flagged by ${example.rule}` : '';
        it(`${example.role === 'bad' ? '❌' : '✅'} example at ${where} type-checks${claim}`, function () {
          const run = runs.get(example)!;
          assert.deepEqual(run.problems, [], `example at ${where} must analyse cleanly and type-check`);
          if (example.rule) {
            assert.ok(example.role === 'bad' && RULES.some((rule) => rule.meta.id === example.rule), `rule=${example.rule} at ${where}: only a ❌ example may name a rule, and it must be a registered rule`);
            assert.ok(run.findings.some((finding) => finding.ruleId === example.rule), `the ❌ example at ${where} produced no ${example.rule} finding; findings:\n${describeFindings(run.findings)}`);
          }
          if (example.role === 'good') {
            assert.deepEqual(run.findings.map((finding) => finding.ruleId), [], `the ✅ example at ${where} must be clean code; findings:\n${describeFindings(run.findings)}`);
          }
        });
      }
    });
  }

  it('the engine\'s own findings link to pages that exist offline (unused-suppression → suppressions)', function () {
    const dir = path.join(WORK_DIR, `${process.pid}-suppression`);
    fs.mkdirSync(dir, { recursive: true });
    try {
      const file = path.join(dir, 'admin.ts');
      fs.writeFileSync(file, "// scalelint-disable-next-line redis-keys -- nothing here any more\nexport const answer = 42;\n");
      const engine = new Engine({ rules: RULES, root: dir, configFile: null });
      const findings = engine.analyzeFile(file).findings;
      const unused = findings.find((finding) => finding.ruleId === UNUSED_SUPPRESSION);
      assert.ok(unused, `no ${UNUSED_SUPPRESSION} finding: ${describeFindings(findings)}`);
      assert.ok(unused.docsUrl.startsWith(DEFAULT_DOCS_BASE_URL), unused.docsUrl);
      const pageId = decodeURIComponent(unused.docsUrl.slice(DEFAULT_DOCS_BASE_URL.length));
      assert.equal(guidePath(pageId), 'docs/suppressions.md');
      assert.ok(fs.existsSync(path.join(REPO_ROOT, guidePath(pageId))), `${guidePath(pageId)} is missing`);
      for (const rule of RULES) assert.equal(guidePath(rule.meta.id), `rules/${rule.meta.id}/README.md`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('findings link to <docsBaseUrl><rule-id> when a team hosts the docs, and the page ships offline', function () {
    const dir = path.join(WORK_DIR, `${process.pid}-docs-base`);
    try {
      writeFile(path.join(dir, 'package.json'), '{ "name": "hosted-docs", "private": true }\n');
      writeFile(path.join(dir, 'scalelint.config.json'), '{ "docsBaseUrl": "https://docs.acme.internal/scalelint" }\n');
      const file = path.join(dir, 'purge.ts');
      writeFile(file, "import Redis from 'ioredis';\nconst redis = new Redis({ commandTimeout: 500 });\nexport const purge = () => redis.keys('cart:*');\n");
      const engine = new Engine({ rules: RULES, root: dir, configFile: path.join(dir, 'scalelint.config.json') });
      const finding = engine.analyzeFile(file).findings.find((candidate) => candidate.ruleId === 'redis-keys');
      assert.ok(finding, 'no redis-keys finding');
      assert.equal(finding.docsUrl, 'https://docs.acme.internal/scalelint/redis-keys');
      assert.ok(fs.existsSync(path.join(REPO_ROOT, guidePath(finding.ruleId))));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every rule folder has a page and every page belongs to a registered rule', function () {
    const ids = new Set(RULES.map((rule) => rule.meta.id));
    const pages = fs.readdirSync(path.join(REPO_ROOT, 'rules'), { withFileTypes: true }).filter((entry) => entry.isDirectory() && fs.existsSync(path.join(REPO_ROOT, 'rules', entry.name, 'README.md'))).map((entry) => entry.name);
    assert.deepEqual(pages.filter((name) => !ids.has(name)), [], 'a README.md in a rules/ folder that is not registered');
  });

  it('every relative link in README.md, docs/**/*.md and rules/*/README.md resolves (files and anchors)', function () {
    const problems = markdownFiles(REPO_ROOT).flatMap((file) => brokenLinks(parsePage(file), REPO_ROOT));
    assert.deepEqual(problems, []);
  });
});

describe('docs page parser', function () {
  it('reads tags, files, markers and sections', function () {
    const page = parsePage('/x/README.md', ['# r', '', '## A', '', '❌ bad one:', '', '```ts bad file=app/route.ts rule=n-plus-one', 'x', '```', '', '```sql context file=m/1.sql', 'y', '```', '## B', '✅ ok', '```js good', 'z', '```'].join('\n'));
    assert.deepEqual(
      page.blocks.map((block) => [block.role, block.language, block.file, block.rule, block.lineAbove, block.headingIndex]),
      [
        ['bad', 'ts', 'app/route.ts', 'n-plus-one', '❌ bad one:', 1],
        ['context', 'sql', 'm/1.sql', undefined, '', 1],
        ['good', 'js', undefined, undefined, '✅ ok', 2],
      ],
    );
  });

  it('finds broken links and anchors, and ignores links inside code', function () {
    fs.mkdirSync(WORK_DIR, { recursive: true });
    const dir = fs.mkdtempSync(path.join(WORK_DIR, 'links-'));
    try {
      fs.writeFileSync(path.join(dir, 'target.md'), '# Target\n\n## Why it hurts at `scale`!\n');
      const text = '# P\n[ok](target.md#why-it-hurts-at-scale) [gone](missing.md) [bad anchor](target.md#nope) `[code](nowhere.md)` [web](https://example.com)\n```\n[fenced](nowhere.md)\n```\n';
      fs.writeFileSync(path.join(dir, 'page.md'), text);
      const problems = brokenLinks(parsePage(path.join(dir, 'page.md')), dir);
      assert.equal(problems.length, 2, problems.join('\n'));
      assert.match(problems[0], /missing\.md/);
      assert.match(problems[1], /#nope/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
