// The CI mode through the built binary: formats, exit codes, configuration flags, ignores and progress.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as sax from 'sax';
import { RULES } from '../rules';
import { DEMO, FIXTURES, REPO_ROOT } from './harness';
import { CLI, git, KEYS_SERVICE, messagesOf, onlyRule, run, sarifSchemaErrors, scratch, write, type SarifLog } from './cli-support';

const ruleFolders = fs
  .readdirSync(FIXTURES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== 'demo-shop' && !entry.name.startsWith('.'))
  .map((entry) => entry.name);

describe('CLI formats (built binary)', function () {
  this.timeout(120_000);

  describe('sarif', function () {
    for (const target of ['demo-shop', ...ruleFolders]) {
      it(`validates against the SARIF 2.1.0 schema and mirrors the JSON findings: ${target}`, function () {
        const folder = path.join(FIXTURES, target);
        const sarifRun = run(['--format', 'sarif', folder]);
        assert.ok(sarifRun.status === 0 || sarifRun.status === 1, sarifRun.stderr);
        const log = JSON.parse(sarifRun.stdout) as SarifLog;
        assert.deepEqual(sarifSchemaErrors(log), []);
        assert.equal(log.version, '2.1.0');

        const driver = log.runs[0].tool.driver;
        for (const rule of RULES) {
          const descriptor = driver.rules?.find((candidate) => candidate.id === rule.meta.id);
          assert.ok(descriptor, `rule ${rule.meta.id} is described`);
          assert.equal(descriptor.shortDescription?.text, rule.meta.description);
          assert.match(descriptor.helpUri ?? '', new RegExp(`/${rule.meta.id}$`));
          assert.ok(descriptor.help?.markdown?.includes(descriptor.helpUri ?? '?'), 'markdown help links the guidance page');
        }

        // Same findings as the ESLint-style JSON, with the same fingerprints, evidence and fixes.
        const json = messagesOf(run(['--format', 'json', folder]).stdout);
        const results = log.runs[0].results ?? [];
        assert.equal(results.length, json.length);
        const byFingerprint = new Map(json.map((message) => [message.fingerprint, message]));
        for (const result of results) {
          const fingerprint = result.partialFingerprints?.['scalelint/v1'];
          const message = byFingerprint.get(fingerprint ?? '');
          assert.ok(message, `result ${result.ruleId} has a known fingerprint`);
          assert.equal(result.ruleId, message.ruleId);
          assert.equal(driver.rules?.[result.ruleIndex ?? -1]?.id, result.ruleId);
          const region = result.locations?.[0].physicalLocation?.region;
          assert.deepEqual([region?.startLine, region?.startColumn, region?.endLine, region?.endColumn], [message.line, message.column, message.endLine, message.endColumn]);
          const uri = result.locations?.[0].physicalLocation?.artifactLocation?.uri ?? '';
          assert.equal(path.resolve(REPO_ROOT, decodeURIComponent(uri)), message.filePath);
          const related = message.related ?? [];
          assert.equal(result.relatedLocations?.length ?? 0, related.length);
          if (related.length) {
            const steps = result.codeFlows?.[0].threadFlows[0].locations ?? [];
            assert.equal(steps.length, related.length + 1, 'the code flow walks the evidence to the finding');
            assert.deepEqual(steps.map((step) => step.location?.message?.text), [...related.map((r) => r.message), message.message]);
          } else {
            assert.equal(result.codeFlows, undefined);
          }
          if (message.fix) assert.ok(result.fixes?.some((fix) => fix.properties?.kind === 'fix'));
        }
      });
    }

    it('carries fixes whose replacements turn the fixture into its .fixed.ts twin', function () {
      const source = path.join(FIXTURES, 'redis-keys', 'ioredis-keys.ts');
      const log = JSON.parse(run(['--format', 'sarif', ...onlyRule('redis-keys'), source]).stdout) as SarifLog;
      let text = fs.readFileSync(source, 'utf8');
      const replacements = (log.runs[0].results ?? [])
        .flatMap((result) => result.fixes?.slice(0, 1) ?? [])
        .flatMap((fix) => fix.artifactChanges.flatMap((change) => change.replacements))
        .sort((a, b) => (b.deletedRegion.charOffset ?? 0) - (a.deletedRegion.charOffset ?? 0));
      assert.ok(replacements.length > 0);
      for (const replacement of replacements) {
        const start = replacement.deletedRegion.charOffset ?? 0;
        text = text.slice(0, start) + (replacement.insertedContent?.text ?? '') + text.slice(start + (replacement.deletedRegion.charLength ?? 0));
      }
      assert.equal(text, fs.readFileSync(path.join(FIXTURES, 'redis-keys', 'ioredis-keys.fixed.ts'), 'utf8'));
    });
  });

  it('json: a fix of several edits in one file is one merged range that gives the fixed twin', function () {
    const source = path.join(FIXTURES, 'uncached-hot-read', 'fix-settings.ts');
    const [result] = JSON.parse(run(['--format', 'json', ...onlyRule('uncached-hot-read'), source]).stdout) as { messages: { suggestions?: { fix: { range: [number, number]; text: string } }[] }[] }[];
    const [suggestion] = result.messages.flatMap((message) => message.suggestions ?? []);
    assert.ok(suggestion, 'no suggestion in the JSON report');
    const text = fs.readFileSync(source, 'utf8');
    const fixed = text.slice(0, suggestion.fix.range[0]) + suggestion.fix.text + text.slice(suggestion.fix.range[1]);
    assert.equal(fixed, fs.readFileSync(path.join(FIXTURES, 'uncached-hot-read', 'fix-settings.fixed.ts'), 'utf8'));
  });

  it('sarif: a fix that edits a file outside the analysed ones (schema.prisma) is carried', function () {
    const source = path.join(FIXTURES, 'missing-index', 'prisma', 'reports.ts');
    const log = JSON.parse(run(['--format', 'sarif', ...onlyRule('missing-index'), source]).stdout) as SarifLog;
    const changed = (log.runs[0].results ?? []).flatMap((result) => result.fixes ?? []).flatMap((fix) => fix.artifactChanges.map((change) => change.artifactLocation.uri ?? ''));
    assert.ok(changed.some((uri) => uri.endsWith('prisma/schema.prisma')), changed.join(', '));
  });

  it('maps severities and unused suppressions in sarif and github', function () {
    const dir = scratch();
    try {
      write(dir, 'tidy.ts', `import Redis from 'ioredis';\nconst redis = new Redis();\n// scalelint-disable-next-line redis-keys -- nothing here any more\nexport const size = () => redis.dbsize();\nexport const all = () => redis.keys('*');\n`);
      const args = ['--rule', 'redis-keys:info', '--rule', 'unused-suppression:warning', '.'];
      const log = JSON.parse(run(['--format', 'sarif', ...args], dir).stdout) as SarifLog;
      assert.deepEqual(sarifSchemaErrors(log), []);
      const results = log.runs[0].results ?? [];
      assert.deepEqual(results.map((result) => `${result.ruleId}:${result.level}:${result.locations?.[0].physicalLocation?.region?.startLine}`), ['unused-suppression:warning:3', 'redis-keys:note:5']);
      const descriptor = log.runs[0].tool.driver.rules?.find((rule) => rule.id === 'unused-suppression');
      assert.ok(descriptor?.shortDescription?.text);
      assert.equal(log.runs[0].tool.driver.rules?.find((rule) => rule.id === 'redis-keys')?.defaultConfiguration?.level, 'note');
      const github = run(['--format', 'github', ...args], dir);
      assert.equal(github.status, 0);
      assert.deepEqual(github.stdout.trim().split('\n').map((line) => line.slice(0, line.indexOf(' '))), ['::warning', '::notice']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('json stays ESLint-compatible, with fixable counts', function () {
    const { status, stdout } = run(['--format', 'json', path.join(FIXTURES, 'redis-keys', 'ioredis-keys.ts')]);
    assert.equal(status, 1);
    const [result] = JSON.parse(stdout) as { errorCount: number; fixableErrorCount: number; fatalErrorCount: number; suppressedMessages: unknown[]; messages: { severity: number; fix?: unknown }[] }[];
    assert.equal(result.fatalErrorCount, 0);
    assert.deepEqual(result.suppressedMessages, []);
    assert.equal(result.errorCount, result.messages.filter((m) => m.severity === 2).length);
    assert.equal(result.fixableErrorCount, result.messages.filter((m) => m.severity === 2 && m.fix).length);
    assert.ok(result.fixableErrorCount >= 1);
  });

  it('github prints one escaped workflow-command annotation per finding', function () {
    const dir = scratch();
    try {
      write(dir, 'cache, old.ts', `import Redis from 'ioredis';\nconst redis = new Redis();\nexport const all = () => redis.keys('*');\n`);
      write(dir, 'tidy.ts', `import Redis from 'ioredis';\nconst redis = new Redis();\nexport const wipe = () => redis.flushdb();\n`);
      const { status, stdout } = run(['--format', 'github', '--rule', 'redis-keys:warning', '.'], dir);
      assert.equal(status, 0);
      const lines = stdout.trim().split('\n');
      assert.equal(lines.length, 2);
      assert.match(lines[0], /^::warning file=cache%2C old\.ts,line=3,endLine=3,col=\d+,endColumn=\d+,title=scalelint\(redis-keys\)::KEYS '\*' walks .*%0Ahttps:\/\/scalelint\.dev\/rules\/redis-keys$/);
      assert.match(lines[1], /^::warning file=tidy\.ts,line=3,/);
      assert.ok(lines.every((line) => !line.slice(2).includes('\n')));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('junit is well-formed XML with a failing test case per finding and a passing one per clean file', function () {
    const { status, stdout } = run(['--format', 'junit', path.join(FIXTURES, 'redis-keys')]);
    assert.equal(status, 1);
    const json = messagesOf(run(['--format', 'json', path.join(FIXTURES, 'redis-keys')]).stdout);
    const parser = sax.parser(true);
    let testcases = 0;
    let failures = 0;
    const suites: string[] = [];
    parser.onopentag = (tag) => {
      if (tag.name === 'testcase') testcases++;
      if (tag.name === 'failure') failures++;
      if (tag.name === 'testsuite') suites.push(String(tag.attributes.name));
    };
    parser.onerror = (error) => assert.fail(`invalid XML: ${error.message}`);
    parser.write(stdout).close();
    assert.equal(failures, json.length);
    const cleanFiles = suites.filter((suite) => !json.some((message) => message.filePath.endsWith(suite)));
    assert.ok(cleanFiles.includes('fixtures/redis-keys/look-alikes.ts'), suites.join(', '));
    assert.equal(testcases, failures + cleanFiles.length);
  });

  it('html is one self-contained page: charts, hottest files, code frames, evidence and guidance links', function () {
    const { status, stdout } = run(['--format', 'html', DEMO, path.join(FIXTURES, 'redis-keys')]);
    assert.equal(status, 1);
    const json = messagesOf(run(['--format', 'json', DEMO, path.join(FIXTURES, 'redis-keys')]).stdout);
    assert.match(stdout, /^<!doctype html>/);
    // Nothing is fetched: no external scripts, styles, images, fonts or imports.
    assert.doesNotMatch(stdout, /<(script|img|link|iframe)[^>]*\s(src|href)=/i);
    assert.doesNotMatch(stdout, /@import|url\(/i);
    assert.match(stdout, /Content-Security-Policy" content="default-src 'none'/);
    assert.match(stdout, /<h2 id="per-rule">Findings per rule<\/h2><svg/);
    assert.match(stdout, /<h2 id="per-directory">Findings per directory<\/h2><svg/);
    assert.match(stdout, /<h2>Hottest files<\/h2>/);
    assert.equal((stdout.match(/<article class="finding /g) ?? []).length, json.length);
    assert.equal((stdout.match(/<pre class="frame">/g) ?? []).length, json.length + json.reduce((sum, m) => sum + (m.related?.length ?? 0), 0));
    assert.match(stdout, /<mark>redis\.keys\(pattern\)<\/mark>/);
    for (const message of json) assert.ok(stdout.includes(`<a href="${message.docsUrl}">`), message.docsUrl);
    assert.equal((stdout.match(/<details open class="evidence">/g) ?? []).length, json.filter((m) => m.related?.length).length);
  });

  it('--output-file writes the report to a file and nothing to stdout', function () {
    const dir = scratch();
    try {
      const target = path.join(dir, 'reports', 'scalelint.sarif');
      const { status, stdout } = run(['--format', 'sarif', '--output-file', target, path.join(FIXTURES, 'redis-keys')]);
      assert.equal(status, 1);
      assert.equal(stdout, '');
      assert.deepEqual(sarifSchemaErrors(JSON.parse(fs.readFileSync(target, 'utf8'))), []);
      assert.deepEqual(fs.readdirSync(path.dirname(target)), ['scalelint.sarif'], 'no temporary file left behind');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--output-file naming a directory is a usage error, said before any analysis', function () {
    const dir = scratch();
    try {
      const { status, stderr } = run(['--format', 'sarif', '--output-file', dir, path.join(FIXTURES, 'redis-keys')]);
      assert.equal(status, 2);
      assert.match(stderr, /--output-file .* is a directory: name the report file/);
      assert.doesNotMatch(stderr, /internal error/);
      assert.deepEqual(fs.readdirSync(dir), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('CLI exit codes and configuration flags (built binary)', function () {
  this.timeout(120_000);
  let dir: string;

  beforeEach(function () {
    dir = scratch();
    write(dir, 'keys.ts', KEYS_SERVICE);
    write(dir, 'clean.ts', 'export const answer = 42;\n');
  });

  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('exits 0 on clean code, 1 on error findings, 2 on usage errors', function () {
    assert.equal(run(['clean.ts'], dir).status, 0);
    assert.equal(run(['keys.ts'], dir).status, 1);
    const unknownFormat = run(['--format', 'xml', '.'], dir);
    assert.equal(unknownFormat.status, 2);
    assert.match(unknownFormat.stderr, /stylish, json, sarif, github, junit, html/);
    assert.equal(run(['--rule', 'no-such-rule:error', '.'], dir).status, 2);
    assert.equal(run(['--rule', 'redis-keys:loud', '.'], dir).status, 2);
    assert.equal(run(['missing-folder'], dir).status, 2);
    assert.equal(run(['--fix', '--fix-dry-run', '.'], dir).status, 2);
  });

  it('--max-warnings: warnings pass until there are more than allowed', function () {
    assert.equal(run(['--rule', 'redis-keys:warning', '.'], dir).status, 0);
    assert.equal(run(['--rule', 'redis-keys:warning', '--max-warnings', '2', '.'], dir).status, 0);
    const over = run(['--rule', 'redis-keys:warning', '--max-warnings', '1', '.'], dir);
    assert.equal(over.status, 1);
    assert.match(over.stderr, /2 warnings, more than --max-warnings 1/);
  });

  it('--quiet reports errors only', function () {
    const quiet = run(['--quiet', '--format', 'json', '--rule', 'redis-keys:warning', '.'], dir);
    assert.equal(quiet.status, 0);
    assert.deepEqual(messagesOf(quiet.stdout), []);
    assert.equal(messagesOf(run(['--quiet', '--format', 'json', '.'], dir).stdout).length, 2);
  });

  it('--rule sets severities over the config file; off disables a rule', function () {
    write(dir, 'scalelint.config.json', '{ "rules": { "redis-keys": "warning" } }\n');
    const fromConfig = messagesOf(run(['--format', 'json', '.'], dir).stdout);
    assert.deepEqual(fromConfig.map((m) => m.severity), [1, 1]);
    const overridden = run(['--format', 'json', '--rule', 'redis-keys:error', '.'], dir);
    assert.equal(overridden.status, 1);
    assert.deepEqual(messagesOf(overridden.stdout).map((m) => m.severity), [2, 2]);
    const off = run(['--format', 'json', '--rule', 'redis-keys:off', '.'], dir);
    assert.equal(off.status, 0);
    assert.deepEqual(messagesOf(off.stdout), []);
  });

  it('--config uses the named file, --no-config none, and a broken one exits 2', function () {
    write(dir, 'scalelint.config.json', '{ "rules": { "redis-keys": "off" } }\n');
    write(dir, 'ci/strict.json', '{ "rules": { "redis-keys": "error" } }\n');
    assert.equal(run(['.'], dir).status, 0);
    assert.equal(run(['--config', 'ci/strict.json', '.'], dir).status, 1);
    assert.equal(run(['--no-config', '.'], dir).status, 1);
    write(dir, 'ci/broken.json', '{ "rules": { "redis-keys": "loud" } }\n');
    const broken = run(['--config', 'ci/broken.json', '.'], dir);
    assert.equal(broken.status, 2);
    assert.match(broken.stderr, /ci\/broken\.json:1:\d+:/);
    assert.equal(run(['--config', 'ci/none.json', '.'], dir).status, 2);
  });

  it('--print-config prints the rules, options and ignores that apply to a file', function () {
    write(dir, 'scalelint.config.json', '{ "rules": { "redis-keys": ["warning", { "scanCount": 250 }] }, "ignorePatterns": ["generated/"] }\n');
    write(dir, 'generated/client.ts', KEYS_SERVICE);
    const printed = run(['--print-config', 'keys.ts'], dir);
    assert.equal(printed.status, 0, printed.stderr);
    const config = JSON.parse(printed.stdout) as { configFile: string; analysed: boolean; rules: Record<string, { severity: string; options: Record<string, unknown> }>; ignorePatterns: string[] };
    assert.equal(config.configFile, path.join(fs.realpathSync(dir), 'scalelint.config.json'));
    assert.equal(config.analysed, true);
    assert.deepEqual(config.rules['redis-keys'], { severity: 'warning', fixKind: 'fix', options: { scanCount: 250 } });
    assert.deepEqual(Object.keys(config.rules).sort(), RULES.map((rule) => rule.meta.id).sort());
    assert.deepEqual(config.ignorePatterns, ['generated/']);
    const ignored = JSON.parse(run(['--print-config', 'generated/client.ts', '--rule', 'redis-keys:off'], dir).stdout) as typeof config;
    assert.equal(ignored.analysed, false);
    assert.equal(ignored.rules['redis-keys'].severity, 'off');
    assert.equal(run(['--print-config', 'nope.ts'], dir).status, 2);
    git(dir, 'init', '-q');
    write(dir, '.gitignore', 'legacy/\n');
    write(dir, 'legacy/old.ts', KEYS_SERVICE);
    assert.equal((JSON.parse(run(['--print-config', 'legacy/old.ts'], dir).stdout) as typeof config).analysed, false);
  });

  it('--version prints the package version and exits 0 without analysing', function () {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const result = run([flag], dir);
      assert.equal(result.status, 0);
      assert.equal(result.stdout, `${manifest.version}\n`);
    }
  });

  it('--list-rules lists every registered rule, as text or JSON', function () {
    const text = run(['--list-rules'], dir);
    assert.equal(text.status, 0);
    for (const rule of RULES) assert.match(text.stdout, new RegExp(`^${rule.meta.id}\\s+${rule.meta.defaultSeverity}\\s+${rule.meta.fixKind}\\s+`, 'm'));
    const json = JSON.parse(run(['--list-rules', '--format', 'json', '--rule', 'redis-keys:warning'], dir).stdout) as { id: string; severity: string; defaultSeverity: string; description: string; docsUrl: string }[];
    assert.deepEqual(json.map((rule) => rule.id), RULES.map((rule) => rule.meta.id));
    const redisKeys = json.find((rule) => rule.id === 'redis-keys');
    assert.equal(redisKeys?.severity, 'warning');
    assert.equal(redisKeys?.docsUrl, 'https://scalelint.dev/rules/redis-keys');
    for (const rule of json) assert.equal(rule.description, RULES.find((r) => r.meta.id === rule.id)?.meta.description);
  });
});

describe('CLI file selection and progress (built binary)', function () {
  this.timeout(120_000);

  it('honours .gitignore and ignorePatterns for folders and globs, and skips node_modules, build output and .d.ts by default', function () {
    const dir = scratch();
    try {
      git(dir, 'init', '-q');
      write(dir, '.gitignore', 'legacy/\n*.gen.ts\n');
      write(dir, 'scalelint.config.json', '{ "ignorePatterns": ["vendor/**"] }\n');
      write(dir, 'src/keys.ts', KEYS_SERVICE);
      for (const skipped of ['legacy/old.ts', 'src/api.gen.ts', 'vendor/lib.ts', 'node_modules/pkg/index.js', 'dist/keys.js', 'build/keys.js', 'types/keys.d.ts']) {
        write(dir, skipped, KEYS_SERVICE.replace(': Promise<number>', '').replace(': string', ''));
      }
      const { status, stdout } = run(['--format', 'json', '.'], dir);
      assert.equal(status, 1);
      const files = (JSON.parse(stdout) as { filePath: string }[]).map((result) => path.relative(fs.realpathSync(dir), fs.realpathSync(result.filePath)));
      assert.deepEqual(files, [path.join('src', 'keys.ts')]);
      // Globs, as ESLint takes them, honour the same ignores; a glob matching nothing is a usage error.
      const globbed = messagesOf(run(['--format', 'json', '**/*.ts'], dir).stdout).map((m) => path.relative(fs.realpathSync(dir), fs.realpathSync(m.filePath)));
      assert.deepEqual([...new Set(globbed)], [path.join('src', 'keys.ts')]);
      assert.equal(run(['nothing/**/*.ts'], dir).status, 2);
      // A folder named on the command line is analysed even when .gitignore lists it.
      assert.equal(messagesOf(run(['--format', 'json', 'legacy'], dir).stdout).length, 2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shows progress on a terminal and stays silent otherwise', function () {
    const dir = scratch();
    try {
      write(dir, 'a.ts', 'export const a = 1;\n');
      write(dir, 'b.ts', 'export const b = 2;\n');
      const piped = run(['.'], dir);
      assert.equal(piped.status, 0);
      assert.equal(piped.stderr, '');
      assert.equal(piped.stdout, '');
      // `script` runs the CLI on a pseudo-terminal, as a developer's shell would.
      const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} .`;
      const tty = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      assert.equal(tty.status, 0, tty.stderr);
      assert.match(tty.stdout, /analysing 2\/2 files/);
      const quiet = spawnSync('script', ['-qec', `${command} --no-progress`, '/dev/null'], { cwd: dir, encoding: 'utf8' });
      assert.doesNotMatch(quiet.stdout, /analysing/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
