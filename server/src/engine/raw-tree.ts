// Helpers over raw compiler nodes, for the walks that visit every node of a file: no ts-morph wrappers.
import { Node, SourceFile, ts } from 'ts-morph';

// Read once: each `ts.x` through the bundle's module object is a getter call, too slow for a walk of every node.
/** `ts.SyntaxKind`, for tests on raw compiler nodes in hot walks. */
export const RawKind = ts.SyntaxKind;
const forEachChild = ts.forEachChild;

/**
 * Visits a raw compiler node and its descendants, parents before children and in source order; `visit`
 * returns false to skip a node's children. An explicit stack: generated files nest deeper than the call
 * stack allows.
 */
export function walkRaw(root: ts.Node, visit: (node: ts.Node) => boolean | void): void {
  const stack: ts.Node[] = [root];
  const children: ts.Node[] = [];
  const collect = (child: ts.Node): void => {
    children.push(child);
  };
  while (stack.length > 0) {
    const node = stack.pop() as ts.Node;
    if (visit(node) === false) continue;
    children.length = 0;
    forEachChild(node, collect);
    for (let index = children.length - 1; index >= 0; index--) stack.push(children[index]);
  }
}

/** The ts-morph node for a compiler node of this file (created once, then cached by ts-morph). */
export function wrapCompilerNode(sourceFile: SourceFile, node: ts.Node): Node {
  return (sourceFile as unknown as { _getNodeFromCompilerNode(node: ts.Node): Node })._getNodeFromCompilerNode(node);
}
