// `npm run bench`: scalelint against tsc --noEmit and ESLint + typescript-eslint (typed) on the same
// projects, side by side in one run, plus the language server's edit latency. Prints one table.
// Sizes: BENCH_SIZES=100,1000,2000,5000 (default 100,1000); BENCH_EDITS=200 (edits timed), BENCH_SOAK=1000;
// BENCH_LSP_FILES=2000 (edit workspace); BENCH_CLI=0 measures the language server alone; BENCH_ROUNDS=3
// (runs per tool and project, median shown). Results: bench/RESULTS.md.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateProject } from './generate.mjs';
import { measureEditLatency } from './lsp-latency.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORK = path.join(ROOT, 'bench', '.work');
const TIME = '/usr/bin/time';
const sizes = (process.env.BENCH_SIZES ?? '100,1000').split(',').map(Number).filter(Boolean);
/** Runs of each tool per project; the table shows the medians. */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));

/** Runs a command and returns wall seconds and peak RSS (MB), from GNU time when present. */
function measure(command, args, cwd, env = {}) {
  const started = process.hrtime.bigint();
  const hasTime = existsSync(TIME);
  const result = hasTime
    ? spawnSync(TIME, ['-f', '__RSS_KB=%M', command, ...args], { cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 30 })
    : spawnSync(command, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 30 });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const rss = hasTime ? Number(/__RSS_KB=(\d+)/.exec(result.stderr ?? '')?.[1] ?? NaN) / 1024 : NaN;
  return { wall, rss, status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Median wall time and median peak RSS of repeated runs; status and output of the last run. */
function median(results) {
  const middle = (values) => values.slice().sort((x, y) => x - y)[Math.floor((values.length - 1) / 2)];
  const last = results[results.length - 1];
  return { ...last, wall: middle(results.map((result) => result.wall)), rss: middle(results.map((result) => result.rss)) };
}

function eslintConfig(dir) {
  const file = path.join(dir, 'eslint.bench.config.mjs');
  writeFileSync(
    file,
    `import tseslint from ${JSON.stringify(path.join(ROOT, 'node_modules', 'typescript-eslint', 'dist', 'index.js'))};
export default [
  { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser, parserOptions: { projectService: false, project: ['./tsconfig.json'], tsconfigRootDir: ${JSON.stringify(dir)} } },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: { 'no-await-in-loop': 'error', '@typescript-eslint/no-floating-promises': 'error' } },
];
`,
  );
  return file;
}

function prepareEffect() {
  const source = path.join(ROOT, 'node_modules', 'effect', 'src');
  if (!existsSync(source)) return undefined;
  const dir = path.join(WORK, 'effect');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(source, path.join(dir, 'src'), { recursive: true });
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', lib: ['ES2022', 'DOM'], module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], exactOptionalPropertyTypes: true }, include: ['src/**/*.ts'] }),
  );
  const version = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'effect', 'package.json'), 'utf8')).version;
  return { name: `effect@${version} (real)`, dir };
}

function fileCount(dir) {
  const out = spawnSync('find', [path.join(dir, 'src'), '-name', '*.ts', '-not', '-name', '*.d.ts'], { encoding: 'utf8' });
  return out.stdout.split('\n').filter(Boolean).length;
}

// BENCH_DIST: a saved copy of dist/ (inside the repository, so node_modules resolve), for a build that
// stays fixed while others rebuild the shared tree.
const DIST = path.resolve(process.env.BENCH_DIST ?? path.join(ROOT, 'dist'));
const cli = path.join(DIST, 'cli.js');
const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const eslint = path.join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js');

// BENCH_CLI=0 skips the CLI table (to re-measure the language server alone).
const projects = [];
for (const size of process.env.BENCH_CLI === '0' ? [] : sizes) {
  const dir = path.join(WORK, `gen-${size}`);
  generateProject(dir, size);
  projects.push({ name: `generated-${size}`, dir });
}
const effect = process.env.BENCH_CLI === '0' ? undefined : prepareEffect();
if (effect) projects.push(effect);

// The CLI keeps a V8 code cache (server/src/cli/launch.ts). The benchmark's own, emptied here: the first
// scalelint run compiles and writes it, the later ones use it, as on a developer's machine or a CI runner
// that keeps ~/.cache. Runs without it (`uncached`) are reported below the table.
const compileCache = path.join(WORK, 'compile-cache');
rmSync(compileCache, { recursive: true, force: true });

const rows = [];
for (const project of projects) {
  const files = fileCount(project.dir);
  process.stderr.write(`bench: ${project.name} (${files} files)…\n`);
  // `src`, the files tsc and ESLint check: not the ESLint config this script writes into the project.
  const config = eslintConfig(project.dir);
  const scalelintArgs = [cli, '--format', 'json', '--max-warnings', '-1', 'src'];
  const tools = {
    scalelint: [process.execPath, scalelintArgs, { SCALELINT_COMPILE_CACHE: compileCache }],
    uncached: [process.execPath, scalelintArgs, { SCALELINT_COMPILE_CACHE: '0' }],
    typescript: [process.execPath, [tsc, '--noEmit', '-p', path.join(project.dir, 'tsconfig.json')]],
    typed: [process.execPath, [eslint, '--no-config-lookup', '-c', config, '--no-warn-ignored', 'src']],
  };
  // Rounds in rotating order, median per tool: the first tool of a round reads the files from disk (this
  // machine's page cache is reclaimed eagerly) and the others from memory, so a fixed order favours
  // whichever runs later.
  const runs = { scalelint: [], uncached: [], typescript: [], typed: [] };
  const names = Object.keys(tools);
  for (let round = 0; round < ROUNDS; round++) {
    for (let index = 0; index < names.length; index++) {
      const name = names[(round + index) % names.length];
      runs[name].push(measure(tools[name][0], tools[name][1], project.dir, tools[name][2]));
    }
  }
  const scalelint = median(runs.scalelint);
  const typescript = median(runs.typescript);
  const typed = median(runs.typed);
  const uncached = median(runs.uncached);
  if (scalelint.status === 2) process.stderr.write(`bench: scalelint failed on ${project.name}: ${scalelint.stderr.slice(0, 500)}\n`);
  // A file stopped by its analysis budget skipped rules: its time is not comparable, say so.
  const stopped = (scalelint.stdout.match(/"ruleId":"analysis-budget"/g) ?? []).length;
  if (stopped > 0) process.stderr.write(`bench: scalelint stopped ${stopped} file(s) of ${project.name} at analysisBudgetMs; their remaining rules did not run\n`);
  if (typed.status === 2) process.stderr.write(`bench: eslint failed on ${project.name}: ${typed.stderr.slice(0, 500)}\n`);
  rows.push({ project: project.name, files, scalelint, typescript, typed, uncached });
}

const fmt = (n, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const header = ['project', 'files', 'scalelint s', 'scalelint MB', 'tsc s', 'tsc MB', 'eslint typed s', 'eslint MB', 'scalelint/tsc', 'eslint/scalelint', 'RSS scalelint/tsc'];
const lines = [header.join(' | ')];
for (const row of rows) {
  lines.push(
    [
      row.project,
      row.files,
      fmt(row.scalelint.wall),
      fmt(row.scalelint.rss, 0),
      fmt(row.typescript.wall),
      fmt(row.typescript.rss, 0),
      fmt(row.typed.wall),
      fmt(row.typed.rss, 0),
      fmt(row.scalelint.wall / row.typescript.wall),
      fmt(row.typed.wall / row.scalelint.wall),
      fmt(row.scalelint.rss / row.typescript.rss),
    ].join(' | '),
  );
}

// Scaling: seconds per 1,000 files for the generated projects should stay flat.
const generated = rows.filter((row) => row.project.startsWith('generated-'));
const scaling = generated.map((row) => `${row.files} files: ${fmt((row.scalelint.wall / row.files) * 1000)} s per 1,000 files`).join('; ');

const editSize = Number(process.env.BENCH_LSP_FILES ?? 2000);
const editDir = path.join(WORK, `gen-lsp-${editSize}`);
generateProject(editDir, editSize);
const latency = await measureEditLatency({
  server: path.join(DIST, 'server.js'),
  workspace: editDir,
  file: path.join(editDir, 'src', 'services', 'order-service.ts'),
  edits: Number(process.env.BENCH_EDITS ?? 200),
  soak: Number(process.env.BENCH_SOAK ?? 1000),
});

console.log(`\nscalelint benchmark (median of ${ROUNDS} runs per tool, rotating order) — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}\n`);
console.log(lines.join('\n'));
console.log(`\nscaling: ${scaling || 'n/a'}`);
if (rows.length > 0) {
  const uncached = rows.map((row) => `${row.project} ${fmt(row.uncached.wall)} s (${fmt(row.uncached.wall / row.typescript.wall)}× tsc)`).join('; ');
  console.log(`scalelint without its code cache (SCALELINT_COMPILE_CACHE=0, median in the same rotation): ${uncached}`);
}
console.log(
  `LSP start-up workspace scan (${editSize} files): ${fmt(latency.scanSeconds, 1)} s; ` +
    `edit latency after it (${latency.edits} edits): p50 ${fmt(latency.p50, 1)} ms, p95 ${fmt(latency.p95, 1)} ms, max ${fmt(latency.max, 1)} ms; ` +
    `after ${latency.soak} more edits, server heap after a full GC ${fmt(latency.heapBeforeMb, 0)} MB → ${fmt(latency.heapAfterMb, 0)} MB (${fmt(latency.heapGrowthPercent, 1)} %), ` +
    `RSS after ${fmt(latency.idleSeconds, 0)} s idle ${fmt(latency.rssBeforeMb, 0)} MB → ${fmt(latency.rssAfterMb, 0)} MB (${fmt(latency.growthPercent, 1)} %), ` +
    `RSS peak while editing ${fmt(latency.rssPeakMb, 0)} MB`,
);
