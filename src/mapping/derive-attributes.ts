import type { Expression } from './expression.js';
import type { ResourceTypeName } from './mapping-types.js';

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
 * What a resource type advertises (/Schemas) when its mapping lists no `attributes`: what
 * survives a write and a read. That is what toScim produces, the `preserve` paths (the id map
 * keeps what the client sent), `externalId` (kept by the id map too) and, for a Group whose
 * members are mapped, the member `display` and `type` the adapter itself keeps and answers.
 */
export function advertisedAttributes(
  type: ResourceTypeName,
  toScim: Expression,
  preserve: readonly string[],
): string[] {
  const produced = deriveAttributes(toScim);
  const keptByAdapter =
    type === 'Group' && produced.some((a) => a === 'members' || a.startsWith('members.'))
      ? ['members.display', 'members.type']
      : [];
  return [...new Set([...produced, ...keptByAdapter, ...preserve, 'externalId'])];
}

/**
 * The SCIM attributes a toScim expression can produce, read from the keys of its object
 * constructors. A complex attribute built from an object constructor yields the sub-attributes
 * it sets, not the attribute as a whole (`{"name": {"givenName": ...}}` → name.givenName, so
 * name.middleName is not claimed); an attribute whose value is computed yields its own name.
 * Keys of an extension URN's object are attributes of that extension (URN:department).
 */
export function deriveAttributes(toScim: Expression): string[] {
  const ast = toScim.ast() as AstNode | undefined;
  if (!ast) return []; // it did not compile; the loader reports that
  const found = new Set<string>();
  for (const shape of objectShapes(ast)) {
    for (const [key, value] of pairs(shape)) {
      if (!key.startsWith('urn:')) {
        addAttribute(found, key, value);
        continue;
      }
      const extension = objectShapes(value);
      if (extension.length === 0) found.add(key);
      for (const inner of extension) {
        for (const [name, innerValue] of pairs(inner)) addAttribute(found, `${key}:${name}`, innerValue);
      }
    }
  }
  return [...found];
}

/** The attribute's sub-attributes when its value is built from object constructors, else the attribute. */
function addAttribute(found: Set<string>, path: string, value: AstNode): void {
  const subKeys = objectShapes(value).flatMap((shape) => pairs(shape).map(([key]) => key));
  if (subKeys.length === 0) found.add(path);
  for (const key of subKeys) found.add(`${path}.${key}`);
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
