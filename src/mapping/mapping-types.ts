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
export const PATH_PLACEHOLDERS = ['appId', 'memberAppId', 'value'] as const;

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
  /** list only: lower-cased SCIM attributes list items lack; items are then read one by one when needed. */
  itemsLack: string[];
  omits: ReadonlySet<'active' | 'members'>;
  /** delete only: the app keeps the record (disables it), so the adapter keeps a tombstone. */
  keepsRecord: boolean;
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
  operations: Partial<Record<OperationName, CompiledOperation>> & {
    create: CompiledOperation;
    get: CompiledOperation;
    list: CompiledOperation;
  };
}

export interface CompiledMapping {
  file: string;
  app: string;
  health: CompiledOperation | undefined;
  errors: CompiledErrorRule[];
  resources: Partial<Record<ResourceTypeName, CompiledResourceMapping>>;
}
