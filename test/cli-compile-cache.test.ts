// The launcher (dist/cli.js) loads the CLI bundle through a V8 code cache: written after a run that analysed
// files, used as it is by the next runs, replaced when V8 rejects it, never read from or written to a
// folder other users can write to.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isPrivateFolder } from '../server/src/cli/launch';
import { run, scratch } from './cli-support';
import { REPO_ROOT } from './harness';

const DEMO = ['--format', 'json', path.join('fixtures', 'demo-shop')];

function cacheFiles(folder: string): string[] {
  return fs.existsSync(folder) ? fs.readdirSync(folder).filter((name) => name.endsWith('.cache')) : [];
}

describe('CLI code cache', function () {
  this.timeout(180_000);
  let reference: { status: number | null; stdout: string };

  before(() => {
    const result = run(DEMO, REPO_ROOT, { SCALELINT_COMPILE_CACHE: '0' });
    assert.ok(result.stdout.includes('"ruleId"'), result.stderr);
    reference = { status: result.status, stdout: result.stdout };
  });

  it('is written after a run that analysed files, and the next run uses it as it is', () => {
    const folder = path.join(scratch(), 'cache');
    const env = { SCALELINT_COMPILE_CACHE: folder };
    assert.equal(run(['--help'], REPO_ROOT, env).status, 0);
    assert.deepEqual(cacheFiles(folder), [], '--help compiles little beyond the top level: not worth a cache');

    const first = run(DEMO, REPO_ROOT, env);
    assert.deepEqual({ status: first.status, stdout: first.stdout }, reference);
    const [name] = cacheFiles(folder);
    assert.match(name ?? '', /^cli-[0-9a-f]{16}-v\d+\.\d+\.\d+-\w+\.cache$/);
    const written = fs.statSync(path.join(folder, name));
    assert.ok(written.size > 1_000_000, `cache of ${written.size} bytes`);
    if (process.platform !== 'win32') {
      assert.equal(fs.statSync(folder).mode & 0o777, 0o700);
      assert.equal(written.mode & 0o777, 0o600);
    }

    const second = run(DEMO, REPO_ROOT, env);
    assert.deepEqual({ status: second.status, stdout: second.stdout }, reference);
    // Accepted by V8, so not written again.
    assert.equal(fs.statSync(path.join(folder, name)).mtimeMs, written.mtimeMs);
  });

  it('removes the caches of other builds not rewritten for a month, when it writes its own', () => {
    const folder = path.join(scratch(), 'cache');
    fs.mkdirSync(folder, { mode: 0o700 });
    const month = 31 * 24 * 60 * 60;
    const old = path.join(folder, 'cli-0000000000000000-v18.0.0-x64.cache');
    const recent = path.join(folder, 'cli-1111111111111111-v18.0.0-x64.cache');
    const unrelated = path.join(folder, 'notes.txt');
    for (const file of [old, recent, unrelated]) fs.writeFileSync(file, 'x');
    const then = Date.now() / 1000 - month;
    fs.utimesSync(old, then, then);
    fs.utimesSync(unrelated, then, then);
    run(DEMO, REPO_ROOT, { SCALELINT_COMPILE_CACHE: folder });
    assert.equal(fs.existsSync(old), false);
    assert.equal(fs.existsSync(recent), true);
    assert.equal(fs.existsSync(unrelated), true);
    assert.equal(cacheFiles(folder).length, 2);
  });

  it('replaces a cache V8 rejects, with the same results', () => {
    const folder = path.join(scratch(), 'cache');
    const env = { SCALELINT_COMPILE_CACHE: folder };
    run(DEMO, REPO_ROOT, env);
    const [name] = cacheFiles(folder);
    const file = path.join(folder, name);
    fs.writeFileSync(file, Buffer.alloc(4096, 7));
    const result = run(DEMO, REPO_ROOT, env);
    assert.deepEqual({ status: result.status, stdout: result.stdout }, reference);
    assert.equal(result.stderr, '');
    assert.ok(fs.statSync(file).size > 1_000_000, 'the rejected cache was replaced');
  });

  it('neither reads nor writes a cache folder that other users can write to', function () {
    if (process.platform === 'win32') this.skip();
    const folder = path.join(scratch(), 'shared');
    fs.mkdirSync(folder);
    fs.chmodSync(folder, 0o777);
    assert.equal(isPrivateFolder(folder), false);
    const result = run(DEMO, REPO_ROOT, { SCALELINT_COMPILE_CACHE: folder });
    assert.deepEqual({ status: result.status, stdout: result.stdout }, reference);
    assert.deepEqual(cacheFiles(folder), []);
    fs.chmodSync(folder, 0o755);
    assert.equal(isPrivateFolder(folder), true);
    assert.equal(isPrivateFolder(path.join(folder, 'missing')), false);
  });

  it('lives in the user cache folder by default, and is off with SCALELINT_COMPILE_CACHE=0', () => {
    const home = scratch();
    run(DEMO, REPO_ROOT, { SCALELINT_COMPILE_CACHE: '0', XDG_CACHE_HOME: home });
    assert.deepEqual(fs.readdirSync(home), []);
    const result = run(DEMO, REPO_ROOT, { SCALELINT_COMPILE_CACHE: '', XDG_CACHE_HOME: home });
    assert.deepEqual({ status: result.status, stdout: result.stdout }, reference);
    assert.equal(cacheFiles(path.join(home, 'scalelint')).length, 1);
  });
});
