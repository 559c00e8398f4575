// Loop-invariant I/O: the same call with the same arguments on every iteration. Run it once above the
// loop and reuse the answer.
import { Node, SyntaxKind, ts, VariableDeclarationKind, VariableStatement } from 'ts-morph';
import type { Fix, RuleContext } from '../../../server/src/engine/types';
import type { NPlusOneSite } from '../site';
import { anchorOf, awaitedUse, camel, freshLocal, outerOf, isRead, isLoopInvariant, isUnconditional, loopOnlyReads, perItemBody } from './shape';

export function hoistFix(site: NPlusOneSite, context: RuleContext): Fix[] {
  const anchor = anchorOf(site);
  const body = perItemBody(site);
  if (!anchor || !body || !anchor.canAwait) return [];
  const call = site.perItemCall;
  const awaited = awaitedUse(call);
  if (!awaited) return [];
  if (!isLoopInvariant(call, site)) return [];
  const file = context.filePath;

  // Safe unattended only when it reads, runs on every iteration, and nothing in the loop writes
  // what it reads; otherwise the caller should look first.
  const reads = isRead(site.io) && (site.via.length === 0 || everyIoReads(site, context));
  const safe = reads && isUnconditional(call, body) && loopOnlyReads(site, body, context);
  const kind = safe ? 'fix' : 'suggestion';
  const title = 'Hoist the loop-invariant call above the loop';

  // `const x = await call(...)` alone in the loop body: move the whole statement.
  const statement = movableDeclaration(awaited, body);
  if (statement && !nameClashesBeforeLoop(statement, anchor.statement)) {
    const text = context.sourceFile.getFullText();
    let start = statement.getStart();
    let end = statement.getEnd();
    // A comment after the statement on its line travels with it.
    const rest = /^[ \t]*(\/\/[^\r\n]*)?/.exec(text.slice(end))!;
    const movedEnd = rest[1] ? end + rest[0].length : end;
    end += rest[0].length;
    const lineBreak = /^\r?\n/.exec(text.slice(end));
    if (lineBreak) {
      end += lineBreak[0].length;
      while (start > 0 && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
    } else {
      end = statement.getEnd(); // code follows on the line: take the statement only
    }
    const moved = text.slice(statement.getStart(), lineBreak ? movedEnd : statement.getEnd());
    return [{
      title,
      kind,
      edits: [
        { file, start: anchor.statement.getStart(), end: anchor.statement.getStart(), newText: `${moved}\n${anchor.indent}` },
        { file, start, end, newText: '' },
      ],
    }];
  }

  // Anywhere else: name the awaited value above the loop and use the name in its place.
  const name = freshLocal(anchor.statement, hoistedName(site));
  const replaced = outerOf(awaited).node; // `(await q).rows` becomes `result.rows`, not `(result).rows`
  return [{
    title,
    kind,
    edits: [
      { file, start: anchor.statement.getStart(), end: anchor.statement.getStart(), newText: `const ${name} = ${awaited.getText()};\n${anchor.indent}` },
      { file, start: replaced.getStart(), end: replaced.getEnd(), newText: name },
    ],
  }];
}

function everyIoReads(site: NPlusOneSite, context: RuleContext): boolean {
  return context.summaries.ioOfCall(site.perItemCall).every((path) => isRead(path.io));
}

/** `const x = await call(...);` directly in the loop body, one declaration, no type clash. */
function movableDeclaration(awaited: Node, body: Node): VariableStatement | undefined {
  const declaration = awaited.getParent();
  if (!declaration || !Node.isVariableDeclaration(declaration) || declaration.getInitializer() !== awaited) return undefined;
  const list = declaration.getParent();
  const statement = list?.getParent();
  if (!list || !Node.isVariableDeclarationList(list) || list.getDeclarations().length !== 1) return undefined;
  if (list.getDeclarationKind() !== VariableDeclarationKind.Const) return undefined;
  if (!statement || !Node.isVariableStatement(statement) || statement.getParent() !== body) return undefined;
  return statement;
}

/** A name the moved declaration introduces is already visible where it would go (a clash or a shadowing). */
function nameClashesBeforeLoop(statement: VariableStatement, anchor: Node): boolean {
  const names = statement.getDeclarations().flatMap((declaration) => {
    const nameNode = declaration.getNameNode();
    if (Node.isIdentifier(nameNode)) return [nameNode.getText()];
    return nameNode.getDescendantsOfKind(SyntaxKind.BindingElement).map((element) => element.getNameNode()).filter(Node.isIdentifier).map((n) => n.getText());
  });
  const inScope = new Set(anchor.getProject().getTypeChecker().getSymbolsInScope(anchor, ts.SymbolFlags.Value).map((symbol) => symbol.getName()));
  return names.some((name) => inScope.has(name));
}

/** `discountsResult` for `SELECT … FROM discounts`, `cachedValue` for a Redis GET, `settings` for `getSettings()`. */
function hoistedName(site: NPlusOneSite): string {
  const call = site.perItemCall;
  if (site.via.length === 0 && site.io.kind === 'sql' && Node.isCallExpression(call)) {
    const first = call.getArguments()[0];
    const sql = first && (Node.isStringLiteral(first) || Node.isNoSubstitutionTemplateLiteral(first)) ? first.getLiteralValue() : '';
    const table = /\bfrom\s+"?([a-z_][\w]*)"?/i.exec(sql)?.[1];
    if (table) return `${camel(table)}Result`;
  }
  if (site.via.length === 0 && site.io.kind === 'redis') return 'cachedValue';
  if (Node.isCallExpression(call)) {
    const callee = call.getExpression();
    const method = Node.isPropertyAccessExpression(callee) ? callee.getName() : callee.getText();
    const stem = method.replace(/^(get|fetch|load|find|read|query)/, '');
    if (stem && /^[A-Za-z]\w*$/.test(stem) && stem !== method) return camel(stem);
  }
  return 'loopInvariantResult';
}
