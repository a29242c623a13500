import { findDefinition, resolveAttribute } from '../attributes.js';
import { isDateTime } from '../coerce.js';
import { scimErrors } from '../errors.js';
import type { AttributeDefinition, ResourceSchema } from '../schema-types.js';
import type { AttrPath, Filter } from './ast.js';

/** Finds the definition of a path where it is written: the resource, or one element inside `attr[...]`. */
type Resolve = (path: AttrPath) => AttributeDefinition | undefined;

interface Pending {
  filter: Filter;
  resolve: Resolve;
  /** `emails` inside `emails[...]`, so that errors name the attribute as the client sees it. */
  prefix: string;
}

/**
 * Refuses comparison values that cannot be compared with the attribute the schema declares, before
 * any resource is read, so that the answer does not depend on what the app holds: a dateTime
 * attribute (RFC 7643 §2.3.5) compared with `eq`/`ne`/`gt`/`ge`/`lt`/`le` needs an xsd:dateTime,
 * or `null` with `eq`/`ne`. The substring operators read the timestamp as text and take any string.
 * Attributes the schema does not define are left to the evaluator's lenient comparison.
 * @throws ScimError invalidFilter naming the attribute.
 */
export function checkFilterValues(filter: Filter, schema: ResourceSchema): void {
  const resolveInResource: Resolve = (path) => {
    const resolved = resolveAttribute(schema, path);
    return resolved?.subDefinition ?? resolved?.definition;
  };
  // An explicit stack: long `a or b or c ...` chains nest deeply on the left.
  const pending: Pending[] = [{ filter, resolve: resolveInResource, prefix: '' }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { filter: node, resolve, prefix } = next;
    switch (node.kind) {
      case 'and':
      case 'or':
        pending.push({ ...next, filter: node.right }, { ...next, filter: node.left });
        break;
      case 'not':
        pending.push({ ...next, filter: node.filter });
        break;
      case 'valuePath': {
        const subAttributes = resolve(node.path)?.subAttributes ?? [];
        pending.push({
          filter: node.filter,
          resolve: (path) => findDefinition(subAttributes, path.attribute),
          prefix: `${prefix}${pathText(node.path)}`,
        });
        break;
      }
      case 'compare': {
        const definition = comparedDefinition(resolve(node.path), node.path);
        const named = prefix === '' ? pathText(node.path) : `${prefix}[${pathText(node.path)}]`;
        if (definition?.type === 'dateTime') checkDateTime(named, node.op, node.value);
        break;
      }
      default:
        break;
    }
  }
}

/** A complex attribute named without a sub-attribute stands for its `value` (as the evaluator reads it). */
function comparedDefinition(
  definition: AttributeDefinition | undefined,
  path: AttrPath,
): AttributeDefinition | undefined {
  if (definition?.type !== 'complex' || path.subAttribute !== undefined) return definition;
  return findDefinition(definition.subAttributes ?? [], 'value');
}

function checkDateTime(named: string, op: string, value: unknown): void {
  if (op === 'co' || op === 'sw' || op === 'ew') return;
  if (value === null || isDateTime(value)) return;
  throw scimErrors.invalidFilter(
    `'${named}' is a dateTime: compare it with an xsd:dateTime such as "2011-05-13T04:42:34Z", not ${JSON.stringify(value)}`,
  );
}

/** The path as the client wrote it (without the schema URN, which only lengthens the message). */
function pathText(path: AttrPath): string {
  return path.subAttribute === undefined ? path.attribute : `${path.attribute}.${path.subAttribute}`;
}
