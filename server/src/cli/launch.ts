// The `scalelint` command (dist/cli.js): loads the CLI bundle (dist/cli-main.js) through a V8 code cache.
// Compiling the 15 MB bundle, then each function as it first runs, costs a run about 0.15 s; with the
// bytecode of the last full run's functions cached, later runs skip it. Node 22's module.enableCompileCache
// does this for modules (and tsc uses it there); Node 20 has no such thing, so the CLI does it itself.
import * as fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';

/** Content hash of cli-main.js, set when bundling. V8 checks only a cached script's length, not its text. */
declare const SCALELINT_BUNDLE_HASH: string | undefined;

interface CliMain {
  /** Runs the CLI on the process's arguments; resolves with whether it analysed any file. */
  run(): Promise<boolean>;
}

const MAIN = path.join(__dirname, 'cli-main.js');

/**
 * Where the cache lives: `SCALELINT_COMPILE_CACHE` (a folder, or `0` to turn the cache off), else the user's
 * cache folder. One file per bundle, Node version and architecture.
 */
export function compileCacheFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const setting = env.SCALELINT_COMPILE_CACHE;
  if (setting === '0' || setting === 'false' || typeof SCALELINT_BUNDLE_HASH !== 'string') return undefined;
  let folder = setting;
  if (!folder && env.XDG_CACHE_HOME) folder = path.join(env.XDG_CACHE_HOME, 'scalelint');
  if (!folder) {
    let home = '';
    try {
      home = os.homedir();
    } catch {
      // No home folder (a bare container user): no cache.
    }
    if (!home) return undefined;
    folder = path.join(home, '.cache', 'scalelint');
  }
  return path.join(path.resolve(folder), `cli-${SCALELINT_BUNDLE_HASH}-${process.version}-${process.arch}.cache`);
}

/**
 * Only a folder of this user's that nobody else can write to: cached bytecode runs as it is, so a file
 * someone else could plant there would run their code.
 */
export function isPrivateFolder(folder: string): boolean {
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return true;
  try {
    const stats = fs.statSync(folder);
    return stats.isDirectory() && stats.uid === process.getuid() && (stats.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function readCache(file: string): Buffer | undefined {
  if (!isPrivateFolder(path.dirname(file))) return undefined;
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Caches of other builds and Node versions written this long ago are removed when a new one is written. */
const STALE_CACHE_MS = 30 * 24 * 60 * 60 * 1000;

function writeCache(file: string, script: vm.Script): void {
  const folder = path.dirname(file);
  // Written aside, then renamed: two runs finishing together each leave a whole file.
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    if (!isPrivateFolder(folder)) return;
    fs.writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(temporary, file);
    removeStaleCaches(folder, file);
  } catch {
    // A cache that cannot be written costs the next run its compile time, nothing else.
    fs.rmSync(temporary, { force: true });
  }
}

/** Each scalelint upgrade leaves a 10 MB cache behind; the ones not rewritten for a month go. */
function removeStaleCaches(folder: string, current: string): void {
  const now = Date.now();
  for (const name of fs.readdirSync(folder)) {
    const candidate = path.join(folder, name);
    if (candidate === current || !/^cli-.*\.(cache|tmp)$/.test(name)) continue;
    try {
      if (now - fs.statSync(candidate).mtimeMs > STALE_CACHE_MS) fs.rmSync(candidate, { force: true });
    } catch {
      // Removed by another run meanwhile.
    }
  }
}

function loadMain(): { main: CliMain; saveCache?: () => void } {
  const file = compileCacheFile();
  const cachedData = file ? readCache(file) : undefined;
  const source = fs.readFileSync(MAIN, 'utf8');
  const script = new vm.Script(Module.wrap(source), { filename: MAIN, cachedData });
  const mainModule = new Module(MAIN, module);
  mainModule.filename = MAIN;
  const wrapper = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  wrapper.call(mainModule.exports, mainModule.exports, createRequire(MAIN), mainModule, MAIN, __dirname);
  // A rejected cache (another Node, changed V8 flags) is replaced, like a missing one.
  const stale = !cachedData || script.cachedDataRejected === true;
  return { main: mainModule.exports as CliMain, saveCache: file && stale ? () => writeCache(file, script) : undefined };
}

if (require.main === module) {
  const { main, saveCache } = loadMain();
  void main.run().then((analysed) => {
    // After the run, so the bytecode of the functions the analysis compiled goes in too (`--help` would
    // leave a cache with little more than the bundle's top level).
    if (analysed && saveCache) process.once('exit', saveCache);
  });
}
