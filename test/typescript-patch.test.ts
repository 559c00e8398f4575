// The TypeScript bundled into the CLI and the language server remembers each file's parse options across
// programs, and each checker the symbol at a node (scripts/bundle-config.mjs). Through edits and an added
// file, every file of every program must get the module format and package.json scope a fresh program
// gives it, and every checker the symbols an unpatched one gives: checked on the engine's own project
// loading, bundled with the patches as dist/ is.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';
import { Project, ts } from 'ts-morph';

const { ModuleKind } = ts;
import type * as ProjectModule from '../server/src/engine/project';
import { ARTIFACTS, REPO_ROOT } from './harness';

type FileFacts = [fileName: string, format: ts.ResolutionMode, scope: string | undefined, locations: string | undefined];

function factsOf(program: ts.Program): FileFacts[] {
  return program
    .getSourceFiles()
    .map((file): FileFacts => {
      const withScope = file as ts.SourceFile & { packageJsonScope?: { packageDirectory: string }; packageJsonLocations?: readonly string[] };
      return [file.fileName, file.impliedNodeFormat, withScope.packageJsonScope?.packageDirectory, withScope.packageJsonLocations?.join(',')];
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

describe('the bundled TypeScript remembers parse options across programs', function () {
  this.timeout(180_000);
  let patched: typeof ProjectModule;
  let root: string;

  before(async () => {
    const work = path.join(ARTIFACTS, 'typescript-patch');
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(work, { recursive: true });
    const entry = path.join(work, 'entry.js');
    fs.writeFileSync(entry, `module.exports = require(${JSON.stringify(path.join(REPO_ROOT, 'out', 'server', 'src', 'engine', 'project.js'))});\n`);
    const esbuild = await import('esbuild');
    const config = (await import(pathToFileURL(path.join(REPO_ROOT, 'scripts', 'bundle-config.mjs')).href)) as { common: object; importMetaBanner: string; enginePatches: Plugin[] };
    const outfile = path.join(work, 'project.js');
    await esbuild.build({ ...config.common, absWorkingDir: REPO_ROOT, entryPoints: [entry], outfile, banner: { js: config.importMetaBanner }, plugins: config.enginePatches });
    const bundled = fs.readFileSync(outfile, 'utf8');
    assert.match(bundled, /scalelintCreateOptions/);
    assert.match(bundled, /= this\.#nodeCache\.get\(compilerNode\);\s*if \(\w+ !== void 0\)/);
    assert.match(bundled, /symbolsAt\.get\(node\)/);
    assert.match(bundled, /this\.scalelintParentsOnDemand && !ExtendedParser\.hasParsedTokens/);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    patched = require(outfile) as typeof ProjectModule;

    // CommonJS at the root, ESM below a package.json of type module, and the extensions that fix a format.
    root = path.join(work, 'project');
    const files: Record<string, string> = {
      'package.json': JSON.stringify({ name: 'patch-check', type: 'commonjs' }),
      'tsconfig.json': JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] }, include: ['src/**/*'] }),
      'src/orders.ts': "import { Pool } from 'pg';\nconst pool = new Pool();\nexport async function order(id: string) {\n  return pool.query('SELECT * FROM orders WHERE id = $1', [id]);\n}\n",
      'src/esm/package.json': JSON.stringify({ type: 'module' }),
      'src/esm/report.ts': "import { order } from '../orders.js';\nexport async function report(ids: string[]) {\n  for (const id of ids) await order(id);\n}\n",
      'src/loader.mts': "export const loaded = await Promise.resolve(1);\n",
      'src/legacy.cts': 'export const legacy = 1;\n',
    };
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
      fs.writeFileSync(path.join(root, name), text);
    }
  });

  it('gives every file of every program the format and scope a fresh program gives it', () => {
    const workspace = new patched.Workspace(root);
    const orders = path.join(root, 'src', 'orders.ts');
    const report = path.join(root, 'src', 'esm', 'report.ts');
    workspace.sourceFile(orders);
    const project = workspace.projectFor(orders).project;
    let before = project.getProgram().compilerObject;
    const scopes = new Map(factsOf(before).map(([name, , scope]) => [path.basename(name), scope]));
    assert.equal(scopes.get('orders.ts'), root);
    assert.equal(scopes.get('report.ts'), path.join(root, 'src', 'esm'));
    // The format comes from the extension or the package.json scope (ts-morph's host alone leaves it unset).
    const formats = new Map(factsOf(before).map(([name, format]) => [path.basename(name), format]));
    assert.deepEqual(
      ['orders.ts', 'report.ts', 'loader.mts', 'legacy.cts'].map((name) => formats.get(name)),
      [ModuleKind.CommonJS, ModuleKind.ESNext, ModuleKind.ESNext, ModuleKind.CommonJS],
    );

    const edits: [string, string][] = [
      [orders, '// edit 1\n'],
      [report, '// edit 2\n'],
      [orders, '// edit 3\n'],
      // A file added: the engine starts a new module resolution cache, and the patch a new memo.
      [path.join(root, 'src', 'esm', 'added.ts'), "export const added = 'x';\n"],
      [report, '// edit 4\n'],
    ];
    type WithLocations = ts.SourceFile & { packageJsonLocations?: readonly string[] };
    let remembered = 0;
    for (const [file, prefix] of edits) {
      const locationsBefore = new Map(before.getSourceFiles().map((tree) => [tree.fileName, (tree as WithLocations).packageJsonLocations]));
      const previous = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      const text = prefix + previous;
      fs.writeFileSync(file, text);
      workspace.setText(file, text);
      const program = project.getProgram().compilerObject;
      assert.notEqual(program, before);
      // What a fresh workspace on the same texts builds.
      const fresh = new patched.Workspace(root);
      fresh.sourceFile(orders);
      assert.deepEqual(factsOf(program), factsOf(fresh.projectFor(orders).project.getProgram().compilerObject), `after editing ${path.relative(root, file)}`);
      // The patch at work: files kept from the last program keep the very same options (unpatched,
      // TypeScript assigns each a newly built list of package.json locations with every program).
      for (const tree of program.getSourceFiles()) {
        const locations = (tree as WithLocations).packageJsonLocations;
        if (locations && locations === locationsBefore.get(tree.fileName)) remembered++;
      }
      before = program;
    }
    assert.ok(remembered > 0);
  });

  // The bundled checker remembers the symbol at each node it was asked about: the answers must be those of
  // an unpatched checker, and a new program's checker must answer afresh for a tree it reuses.
  it('remembers symbols per checker: the answers of an unpatched checker, and new ones after an edit', () => {
    const orders = path.join(root, 'src', 'orders.ts');
    const uses = path.join(root, 'src', 'uses.ts');
    fs.writeFileSync(uses, "import * as ns from './orders';\nexport const first = (id: string) => ns.order(id);\n");
    const workspace = new patched.Workspace(root);
    workspace.sourceFile(orders);
    const project = workspace.projectFor(orders).project;
    const describe = (symbol: ts.Symbol | undefined): string =>
      symbol ? `${symbol.name}@${(symbol.declarations ?? []).map((d) => `${path.basename(d.getSourceFile().fileName)}:${d.pos}:${ts.SyntaxKind[d.kind]}`).join(',')}` : '-';
    const answers = (program: ts.Program): string[] => {
      const checker = program.getTypeChecker();
      const found: string[] = [];
      for (const tree of program.getSourceFiles()) {
        if (!tree.fileName.startsWith(root)) continue;
        const visit = (node: ts.Node): void => {
          if (ts.isIdentifier(node) || ts.isPropertyAccessExpression(node)) found.push(`${path.basename(tree.fileName)}:${node.pos} ${describe(checker.getSymbolAtLocation(node))}`);
          ts.forEachChild(node, visit);
        };
        visit(tree);
      }
      return found;
    };
    const program = project.getProgram().compilerObject;
    // The same project through the unbundled ts-morph and TypeScript.
    const unpatched = () => new Project({ tsConfigFilePath: path.join(root, 'tsconfig.json') }).getProgram().compilerObject;
    const first = answers(program);
    assert.ok(first.length > 20, String(first.length));
    assert.deepEqual(answers(program), first, 'asked again');
    assert.deepEqual(first, answers(unpatched()));

    // uses.ts is not edited, so the next program reuses its tree; what `ns.order` there names changes.
    const usesTree = program.getSourceFile(uses)!;
    const orderName = (tree: ts.SourceFile): ts.Node => {
      let name: ts.Node | undefined;
      const visit = (node: ts.Node): void => {
        if (ts.isPropertyAccessExpression(node) && node.name.text === 'order') name = node.name;
        ts.forEachChild(node, visit);
      };
      visit(tree);
      return name!;
    };
    const declared = (checker: ts.TypeChecker) => ts.SyntaxKind[checker.getSymbolAtLocation(orderName(usesTree))?.declarations?.[0]?.kind ?? 0];
    assert.equal(declared(program.getTypeChecker()), 'FunctionDeclaration');
    const text = "import { Pool } from 'pg';\nconst pool = new Pool();\nexport const order = async (id: string) => pool.query('SELECT * FROM orders WHERE id = $1', [id]);\n";
    fs.writeFileSync(orders, text);
    workspace.setText(orders, text);
    const next = project.getProgram().compilerObject;
    assert.notEqual(next, program);
    assert.equal(next.getSourceFile(uses), usesTree, 'the tree is reused');
    assert.equal(declared(next.getTypeChecker()), 'VariableDeclaration');
    assert.deepEqual(answers(next), answers(unpatched()));
  });

  // The bundled ts-morph looks a node's wrapper up before making one: it must hand out the one wrapper a
  // node has, and never one ts-morph has forgotten (forgetting takes it out of the cache looked in).
  it('hands out one wrapper per node, and a fresh one after ts-morph forgot it', () => {
    const workspace = new patched.Workspace(root);
    const orders = path.join(root, 'src', 'orders.ts');
    const file = workspace.sourceFile(orders);
    const call = file.getDescendants().find((node) => node.getKindName() === 'CallExpression' && node.getText().startsWith('pool.query'))!;
    const expression = (call as unknown as { getExpression(): { getParent(): unknown } }).getExpression();
    assert.equal(expression.getParent(), call);
    assert.equal((call as unknown as { getExpression(): unknown }).getExpression(), expression);
    file.forgetDescendants();
    assert.throws(() => call.getText(), /forgotten/);
    const again = file.getDescendants().find((node) => node.getKindName() === 'CallExpression' && node.getText().startsWith('pool.query'))!;
    assert.notEqual(again, call);
    assert.equal(again.getText(), "pool.query('SELECT * FROM orders WHERE id = $1', [id])");
    assert.equal((again as unknown as { getExpression(): { getParent(): unknown } }).getExpression().getParent(), again);
  });

  // In a one-shot workspace (the CLI's) the bundled ts-morph wraps a node's parents only when asked for
  // them. The editor's workspace keeps ts-morph's way, which forgetting a replaced tree relies on: it
  // reaches each wrapper through wrapped parents.
  it('wraps parents on demand in a one-shot workspace, and every parent in the editor', () => {
    const orders = path.join(root, 'src', 'orders.ts');
    type Factory = { hasCompilerNode(node: ts.Node): boolean; getNodeFromCompilerNode(node: ts.Node, file: unknown): { wasForgotten(): boolean; getParent(): { compilerNode: ts.Node } | undefined; getText(): string } };
    const deepestString = (tree: ts.SourceFile): ts.StringLiteral => {
      let found: ts.StringLiteral | undefined;
      const visit = (node: ts.Node): void => {
        if (ts.isStringLiteral(node) && node.text.startsWith('SELECT')) found = node;
        ts.forEachChild(node, visit);
      };
      visit(tree);
      return found!;
    };
    const wrapDeep = (oneShot: boolean) => {
      const workspace = new patched.Workspace(root, oneShot);
      const file = workspace.sourceFile(orders);
      const factory = (file as unknown as { _context: { compilerFactory: Factory } })._context.compilerFactory;
      const literal = deepestString(file.compilerNode);
      const wrapped = factory.getNodeFromCompilerNode(literal, file);
      const ancestors: ts.Node[] = [];
      for (let node = literal.parent; node.kind !== ts.SyntaxKind.SourceFile; node = node.parent) ancestors.push(node);
      return { workspace, file, factory, literal, wrapped, ancestors };
    };

    const oneShot = wrapDeep(true);
    assert.ok(oneShot.ancestors.length >= 4, String(oneShot.ancestors.length));
    assert.deepEqual(oneShot.ancestors.filter((node) => oneShot.factory.hasCompilerNode(node)), [], 'no parent wrapped before asked for');
    // Asked for, a parent is the node's own and the walk up reads the same text as ts-morph's.
    const parent = oneShot.wrapped.getParent()!;
    assert.equal(parent.compilerNode, oneShot.literal.parent);
    assert.equal(oneShot.factory.hasCompilerNode(oneShot.literal.parent), true);
    assert.equal(oneShot.wrapped.getText(), "'SELECT * FROM orders WHERE id = $1'");

    const editor = wrapDeep(false);
    assert.deepEqual(editor.ancestors.filter((node) => !editor.factory.hasCompilerNode(node)), [], 'every parent wrapped');
    const text = fs.readFileSync(orders, 'utf8');
    editor.workspace.setText(orders, `// edited\n${text}`);
    assert.equal(editor.wrapped.wasForgotten(), true, 'the replaced tree\'s wrappers are forgotten');
  });
});
