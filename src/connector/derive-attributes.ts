import type { Expression } from './expression.js';

/** The parts of JSONata's syntax tree this walk reads (jsonata exposes it untyped). */
interface AstNode {
  type?: string;
  value?: unknown;
  lhs?: Array<[AstNode, AstNode]>;
  expressions?: AstNode[];
  steps?: AstNode[];
  then?: AstNode;
  else?: AstNode;
}

/**
 * The SCIM attributes a toScim expression can produce, read from the keys of its object
 * constructors (`{"userName": login, "name": {"givenName": ...}}` → userName, name.givenName).
 * Discovery (/Schemas) advertises these when the mapping does not list `attributes` itself.
 */
export function deriveAttributes(toScim: Expression): string[] {
  const ast = toScim.ast() as AstNode | undefined;
  if (!ast) return []; // it did not compile; the loader reports that
  const found = new Set<string>();
  for (const shape of objectShapes(ast)) {
    for (const [key, value] of pairs(shape)) {
      found.add(key);
      for (const inner of objectShapes(value)) {
        for (const [subKey] of pairs(inner))
          found.add(key.startsWith('urn:') ? `${key}:${subKey}` : `${key}.${subKey}`);
      }
    }
  }
  return [...found];
}

function pairs(node: AstNode): Array<[string, AstNode]> {
  return (node.lhs ?? []).flatMap(([key, value]) =>
    key.type === 'string' && typeof key.value === 'string' ? [[key.value, value] as [string, AstNode]] : [],
  );
}

/** The object constructors an expression can evaluate to, through conditions, arrays, blocks and paths. */
function objectShapes(node: AstNode | undefined, depth = 0): AstNode[] {
  if (!node || depth > 20) return [];
  if (node.type === 'unary' && node.value === '{') return [node];
  if (node.type === 'unary' && node.value === '[')
    return (node.expressions ?? []).flatMap((e) => objectShapes(e, depth + 1));
  if (node.type === 'condition')
    return [...objectShapes(node.then, depth + 1), ...objectShapes(node.else, depth + 1)];
  if (node.type === 'block') return objectShapes(node.expressions?.at(-1), depth + 1);
  if (node.type === 'path') return objectShapes(node.steps?.at(-1), depth + 1);
  return [];
}
