import type { AttrPath, Filter, FilterValue } from './ast.js';

export type { AttrPath, CompareOperator, Filter, FilterValue } from './ast.js';
export { checkFilterValues } from './check-values.js';
export { evaluateFilter } from './evaluate.js';
export { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH } from './lexer.js';
export { parseFilter, parseValueFilter } from './parser.js';

/** An `attribute eq value` comparison that a filter requires. */
export interface EqualityConstraint {
  path: AttrPath;
  /** `null` comes from `eq null`, which RFC 7644 §3.4.2.2 evaluation treats as "absent". */
  value: FilterValue;
}

/**
 * The `eq` comparisons that must all hold for `filter` to be true: a top-level `eq`, or `eq`s
 * reached through `and` nodes only. Anything under `or`, `not` or a value path is left out, since
 * it does not constrain every match. The result is a necessary condition, not the whole filter:
 * a caller that narrows an application search with it must still evaluate the filter on the results.
 */
export function findEqualityConstraints(filter: Filter): EqualityConstraint[] {
  const found: EqualityConstraint[] = [];
  // An explicit stack: long `a and b and c ...` chains nest deeply on the left.
  const pending: Filter[] = [filter];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (node.kind === 'and') {
      pending.push(node.right, node.left);
    } else if (node.kind === 'compare' && node.op === 'eq') {
      found.push({ path: node.path, value: node.value });
    }
  }
  return found;
}
