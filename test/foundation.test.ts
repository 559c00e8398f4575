// Issue-level acceptance of the foundation, through the built binary (dist/cli.js).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEMO, REPO_ROOT } from './harness';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

function run(args: string[], cwd = REPO_ROOT): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('foundation acceptance (built CLI)', function () {
  it('prints the demo\'s findings as valid ESLint-format JSON', function () {
    const { status, stdout, stderr } = run(['--format', 'json', DEMO]);
    assert.equal(status, 1, stderr);
    const results = JSON.parse(stdout) as { filePath: string; messages: { ruleId: string; severity: number; line: number; column: number; endLine: number; endColumn: number; message: string }[]; errorCount: number; warningCount: number }[];
    assert.ok(Array.isArray(results) && results.length > 0);
    for (const result of results) {
      assert.ok(path.isAbsolute(result.filePath));
      assert.equal(result.errorCount, result.messages.filter((m) => m.severity === 2).length);
      assert.equal(result.warningCount, result.messages.filter((m) => m.severity === 1).length);
      for (const message of result.messages) {
        assert.ok(typeof message.ruleId === 'string' && typeof message.message === 'string');
        assert.ok(message.line >= 1 && message.column >= 1 && message.endLine >= message.line);
      }
    }
    const keys = results.flatMap((r) => r.messages.filter((m) => m.ruleId === 'redis-keys').map(() => path.basename(r.filePath)));
    assert.deepEqual(keys, ['cache.ts']);
  });

  it('finds redis.keys() on new Redis() from ioredis in a folder without node_modules, and not Map.keys()', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalelint-nomod-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'users.ts'),
        `import Redis from 'ioredis';\nconst redis = new Redis();\nconst seen = new Map<string, number>();\nexport async function users() {\n  for (const k of seen.keys()) console.log(k);\n  return redis.keys('user:*');\n}\n`,
      );
      const { status, stdout } = run(['--format', 'json', dir], dir);
      assert.equal(status, 1);
      const messages = (JSON.parse(stdout) as { messages: { ruleId: string; line: number }[] }[]).flatMap((r) => r.messages);
      assert.deepEqual(messages.map((m) => `${m.ruleId}:${m.line}`), ['redis-keys:6']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 with the file and line of a broken config, and 0 on clean code', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalelint-cfg-'));
    try {
      fs.writeFileSync(path.join(dir, 'ok.ts'), 'export const answer = 42;\n');
      assert.equal(run([dir], dir).status, 0);
      fs.writeFileSync(path.join(dir, 'scalelint.config.json'), '{\n  "rules": { "redis-keys": "sometimes" }\n}\n');
      const broken = run([dir], dir);
      assert.equal(broken.status, 2);
      assert.match(broken.stderr, /scalelint\.config\.json:2:\d+:/);
      assert.doesNotMatch(broken.stderr, /\n\s+at /, 'no stack trace for user input');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
