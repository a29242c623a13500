import type { ConfigIssue } from '../config/config-error.js';
import type { ScimType } from '../scim/errors.js';
import type { Expression } from './expression.js';

/** Operations a mapping can declare per resource type. */
export type OperationName =
  | 'create'
  | 'get'
  | 'list'
  | 'update'
  | 'delete'
  | 'activate'
  | 'deactivate'
  | 'addMember'
  | 'removeMember';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Placeholders a path template may use; their values are URL-encoded. */
export const PATH_PLACEHOLDERS = ['appId', 'memberAppId', 'memberKey', 'value'] as const;

/**
 * How a list call (or a sub-read) walks the app's pages: by 0-based offset, by 1-based page
 * number, by a link to the next page, by a cursor, or not at all (one call answers everything).
 * `next` and `cursor` read the answer (body; `$headers`, `$status` and `$links` bound).
 */
export type Paging =
  | { mode: 'none' | 'offset' | 'page' }
  | { mode: 'next'; next: Expression }
  | { mode: 'cursor'; cursor: Expression };

/** Where the answer of a create or update names the record's app id. */
export type IdSource = { from: 'response' } | { from: 'location' } | { from: 'header'; header: string };

/** A further call whose result is merged into the record under `field` before toScim sees it. */
export interface CompiledSubRead {
  field: string;
  operation: CompiledOperation;
  /** Made only when the request needs the group's members. */
  forMembers: boolean;
}

export interface CompiledOperation {
  name: string;
  method: HttpMethod;
  /** Path template below the upstream base URL, e.g. `/api/users/{appId}`. */
  path: string;
  query: Array<[string, Expression]>;
  headers: Array<[string, Expression]>;
  body: Expression | undefined;
  response: Expression | undefined;
  retry: boolean;
  items: Expression | undefined;
  total: Expression | undefined;
  pageSize: number | undefined;
  /** list and sub-reads: how pages are walked (declared, or inferred from pageSize and the query). */
  paging: Paging;
  /** create and update: where the answer names the app id; undefined: the record, a bare id or Location. */
  idFrom: IdSource | undefined;
  /** get only: further calls merged into the record. */
  subReads: CompiledSubRead[];
  /** list only: lower-cased SCIM attributes list items lack; items are then read one by one when needed. */
  itemsLack: string[];
  omits: ReadonlySet<'active' | 'members'>;
  /** delete only: the app keeps the record (disables it), so the adapter keeps a tombstone. */
  keepsRecord: boolean;
  /**
   * Writes other than create: further calls made after this one, in order, with the same request
   * context (`then`); each only after the one before it succeeded. Named `<operation>.then[i]`.
   */
  followUps: CompiledOperation[];
  /** Names of the `lookups` its query, headers and body use (`$lookups.<name>`). */
  lookups: readonly string[];
}

/**
 * A value the adapter asks the app for once and keeps (`lookups.<name>`): the id of the account it
 * works as, a default role's id. Request expressions see it as `$lookups.<name>`.
 */
export interface CompiledLookup {
  name: string;
  /** The GET that answers it (`lookups.<name>`). */
  operation: CompiledOperation;
  /** Reads the value out of the answer's body (`$status` and `$headers` bound). */
  value: Expression;
}

export interface CompiledErrorRule {
  statuses: ReadonlySet<number>;
  when: Expression | undefined;
  scimStatus: number | undefined;
  scimType: ScimType | undefined;
  detail: Expression | undefined;
}

export interface CompiledFilterPushdown {
  query: Array<[string, Expression]>;
  path: string | undefined;
  /** Names of the `lookups` its query uses. */
  lookups: readonly string[];
}

export type ResourceTypeName = 'User' | 'Group';

export interface CompiledResourceMapping {
  resourceType: ResourceTypeName;
  id: Expression;
  toScim: Expression;
  fromScim: Expression;
  preserve: string[];
  enterpriseExtension: boolean;
  /**
   * SCIM attributes that round-trip (declared, or derived from toScim and preserve): what
   * discovery advertises and what writes are checked against.
   */
  attributes: string[];
  /** Keyed by the lower-cased SCIM attribute path, e.g. `username`, `emails.value`. */
  filters: Map<string, CompiledFilterPushdown>;
  errors: CompiledErrorRule[];
  /** Records it holds true for are the app's own (system, admin accounts): never seen through SCIM. */
  protect: Expression | undefined;
  /**
   * Group only: the User attribute (a SCIM path such as `userName`) the app's member values are,
   * when they are not the members' app ids.
   */
  memberKey: string | undefined;
  operations: Partial<Record<OperationName, CompiledOperation>> & {
    create: CompiledOperation;
    get: CompiledOperation;
    list: CompiledOperation;
  };
}

export interface CompiledMapping {
  file: string;
  /** What `validate` warns about: legal, but probably not what was meant. */
  warnings?: ConfigIssue[];
  app: string;
  health: CompiledOperation | undefined;
  errors: CompiledErrorRule[];
  /** Keyed by name. */
  lookups: ReadonlyMap<string, CompiledLookup>;
  resources: Partial<Record<ResourceTypeName, CompiledResourceMapping>>;
}
