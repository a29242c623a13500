/** RFC 7644 §3.4.2.2 filter syntax tree, shared by the parser, the evaluator and the push-down planner. */

/**
 * An attribute path: `userName`, `name.givenName`,
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`.
 * `schema` is set only when the path was written with a schema URN prefix.
 */
export interface AttrPath {
  schema?: string;
  attribute: string;
  subAttribute?: string;
}

export type CompareOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';

/** A comparison value as written in the filter (RFC 7159 JSON literal). */
export type FilterValue = string | number | boolean | null;

export type Filter =
  | { kind: 'compare'; path: AttrPath; op: CompareOperator; value: FilterValue }
  | { kind: 'present'; path: AttrPath }
  | { kind: 'and'; left: Filter; right: Filter }
  | { kind: 'or'; left: Filter; right: Filter }
  | { kind: 'not'; filter: Filter }
  /** `emails[type eq "work" and value co "@example.com"]`: the inner filter applies to each element. */
  | { kind: 'valuePath'; path: AttrPath; filter: Filter };
