import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { ConfigError, type ConfigIssue } from '../config/config-error.js';
import { createSchemaValidator } from '../config/schema-validate.js';
import { formatPath, type PathSegment, readYamlSource, type YamlSource } from '../config/yaml-source.js';
import { parseAttrPath } from '../scim/attr-path.js';
import { type ScimType, scimErrors } from '../scim/errors.js';
import { advertisedAttributes } from './derive-attributes.js';
import {
  compileExpression,
  describeJsonataError,
  type Expression,
  ExpressionCompileError,
} from './expression.js';
import {
  type CompiledErrorRule,
  type CompiledFilterPushdown,
  type CompiledLookup,
  type CompiledMapping,
  type CompiledOperation,
  type CompiledResourceMapping,
  type CompiledSubRead,
  type HttpMethod,
  type IdSource,
  type OperationName,
  PATH_PLACEHOLDERS,
  type Paging,
  type ResourceTypeName,
} from './mapping-types.js';

const require = createRequire(import.meta.url);
const validateMappingSchema = createSchemaValidator(require('../../schemas/mapping.schema.json') as object);

type ExpressionMap = Record<string, string>;
interface RawOperation {
  method: HttpMethod;
  path: string;
  query?: ExpressionMap;
  headers?: ExpressionMap;
  body?: string;
  response?: string;
  retry?: boolean;
  items?: string;
  total?: string;
  pageSize?: number;
  paging?: 'none' | 'offset' | 'page' | { next: string } | { cursor: string };
  idFrom?: 'response' | 'location' | { header: string };
  subReads?: Record<string, RawOperation>;
  for?: 'members';
  itemsLack?: string[];
  omits?: Array<'active' | 'members'>;
  keepsRecord?: boolean;
  then?: RawOperation[];
}
interface RawLookup {
  method?: 'GET';
  path: string;
  query?: ExpressionMap;
  headers?: ExpressionMap;
  value: string;
}
interface RawErrorRule {
  status: number | number[];
  when?: string;
  scimStatus?: number;
  scimType?: ScimType;
  detail?: string;
}
interface RawResource {
  id: string;
  toScim: string;
  fromScim: string;
  preserve?: string[];
  enterpriseExtension?: boolean;
  attributes?: string[];
  filters?: Record<string, { query: ExpressionMap; path?: string }>;
  errors?: RawErrorRule[];
  protect?: string;
  members?: { key: string };
  operations: Partial<Record<OperationName, RawOperation>>;
}
interface RawMapping {
  app: string;
  health?: RawOperation;
  lookups?: Record<string, RawLookup>;
  errors?: RawErrorRule[];
  resources: Partial<Record<ResourceTypeName, RawResource>>;
}

/**
 * Loads a mapping file: YAML, JSON Schema, then every JSONata expression compiled once, and the
 * cross-checks a schema cannot express. All problems are thrown together as one ConfigError.
 */
export function loadMapping(file: string, text?: string): CompiledMapping {
  const absolute = resolve(file);
  const source = readYamlSource(absolute, text);
  const schemaIssues = validateMappingSchema(source, source.data);
  if (schemaIssues.length > 0) throw new ConfigError(schemaIssues);
  const compiler = new MappingCompiler(source);
  const mapping = compiler.compile(source.data as RawMapping);
  if (compiler.issues.length > 0) throw new ConfigError(compiler.issues);
  if (compiler.warnings.length > 0) mapping.warnings = compiler.warnings;
  return mapping;
}

/** Operations whose answer may name the app id of the record they wrote. */
const NAMES_ITS_ID = new Set(['create', 'update']);

/**
 * Operations that may have follow-up calls (`then`): the writes to a record that exists. Not
 * create: when a create's follow-up fails, the IdP's retry takes the new record over as a PUT
 * instead of creating it again, so its follow-ups would never be repeated.
 */
const TAKES_FOLLOW_UPS = new Set(['update', 'delete', 'activate', 'deactivate', 'addMember', 'removeMember']);

/**
 * The names of the lookups an expression's text uses: `$lookups.owner`, ``$lookups.`a-b` ``;
 * `$lookups` used any other way (`$lookups[...]`, `$keys($lookups)`) needs them all (`*`). Read
 * from the text, so a mention inside a string literal counts too: it only costs a lookup.
 */
export function usedLookups(source: string): string[] {
  const names = new Set<string>();
  for (const match of source.matchAll(/\$lookups\b(?:\.(?:`([^`]+)`|([A-Za-z_][A-Za-z0-9_]*)))?/g)) {
    const name = match[1] ?? match[2];
    names.add(name ?? '*');
  }
  return [...names];
}

class MappingCompiler {
  readonly issues: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];

  /** The lookups the mapping declares, known before any expression that uses them is compiled. */
  private lookupNames: ReadonlySet<string> = new Set();

  constructor(private readonly source: YamlSource) {}

  compile(raw: RawMapping): CompiledMapping {
    this.lookupNames = new Set(Object.keys(raw.lookups ?? {}));
    const lookups = this.lookups(raw.lookups);
    const resources: CompiledMapping['resources'] = {};
    for (const type of ['User', 'Group'] as const) {
      const resource = raw.resources[type];
      if (resource) resources[type] = this.resource(type, resource);
    }
    this.checkMemberKey(raw, resources);
    return {
      file: this.source.file,
      app: raw.app,
      health: raw.health ? this.operation('health', raw.health, ['health']) : undefined,
      errors: this.errorRules(raw.errors, ['errors']),
      lookups,
      resources,
    };
  }

  private lookups(raw: Record<string, RawLookup> | undefined): Map<string, CompiledLookup> {
    const lookups = new Map<string, CompiledLookup>();
    for (const [name, lookup] of Object.entries(raw ?? {})) {
      const at = ['lookups', name];
      if (/\{[^}]*\}/.test(lookup.path)) {
        this.issues.push(
          this.source.issue(
            [...at, 'path'],
            'a lookup is made once for every request: its path has no placeholders',
            'give the path of one resource, e.g. /api/me',
          ),
        );
      }
      const operation = this.operation(`lookups.${name}`, { ...lookup, method: 'GET' }, at);
      lookups.set(name, { name, operation, value: this.expression(lookup.value, [...at, 'value']) });
    }
    return lookups;
  }

  private resource(type: ResourceTypeName, raw: RawResource): CompiledResourceMapping {
    const at = ['resources', type];
    const operations: Partial<Record<OperationName, CompiledOperation>> = {};
    for (const [name, op] of Object.entries(raw.operations) as Array<[OperationName, RawOperation]>) {
      operations[name] = this.operation(name, op, [...at, 'operations', name]);
    }
    this.checkOperations(type, operations, [...at, 'operations']);
    const listQuery = new Set(Object.keys(raw.operations.list?.query ?? {}));
    const filters = new Map<string, CompiledFilterPushdown>();
    for (const [attribute, pushdown] of Object.entries(raw.filters ?? {})) {
      const path = [...at, 'filters', attribute];
      if (!parseAttrPath(attribute)) {
        this.issues.push(
          this.source.issue(
            path,
            `'${attribute}' is not a SCIM attribute path`,
            'e.g. userName or emails.value',
            { atKey: true },
          ),
        );
      }
      if (pushdown.path) this.checkPlaceholders(pushdown.path, [...path, 'path']);
      for (const name of Object.keys(pushdown.query).filter((n) => listQuery.has(n))) {
        this.warnings.push(
          this.source.issue(
            [...path, 'query', name],
            `the list call sets '${name}' too; a search sends the push-down's value in its place`,
            `remove '${name}' from operations.list.query if the list call should not send it either`,
            { atKey: true },
          ),
        );
      }
      filters.set(attribute.toLowerCase(), {
        query: this.expressionMap(pushdown.query, [...path, 'query']),
        path: pushdown.path,
        lookups: this.lookupsUsed(Object.values(pushdown.query)),
      });
    }
    const { create, get, list } = operations;
    const toScim = this.expression(raw.toScim, [...at, 'toScim']);
    return {
      resourceType: type,
      id: this.expression(raw.id, [...at, 'id']),
      toScim,
      fromScim: this.expression(raw.fromScim, [...at, 'fromScim']),
      preserve: raw.preserve ?? [],
      enterpriseExtension: raw.enterpriseExtension ?? false,
      attributes: raw.attributes ?? advertisedAttributes(type, toScim, raw.preserve ?? []),
      filters,
      errors: this.errorRules(raw.errors, [...at, 'errors']),
      protect: this.optional(raw.protect, [...at, 'protect']),
      memberKey: raw.members?.key,
      // The schema requires create, get and list, so they are present once it passed.
      operations: { ...operations, create: create!, get: get!, list: list! },
    };
  }

  private checkOperations(
    type: ResourceTypeName,
    ops: Partial<Record<OperationName, CompiledOperation>>,
    at: PathSegment[],
  ): void {
    const omits = ops.update?.omits ?? new Set();
    if (omits.has('active') && !(ops.activate && ops.deactivate)) {
      this.issues.push(
        this.source.issue(
          [...at, 'update', 'omits'],
          'update omits active but activate/deactivate are not both declared',
          'declare operations.activate and operations.deactivate, or remove active from omits',
        ),
      );
    }
    if (omits.has('members') && !(ops.addMember && ops.removeMember)) {
      this.issues.push(
        this.source.issue(
          [...at, 'update', 'omits'],
          'update omits members but addMember/removeMember are not both declared',
          'declare operations.addMember and operations.removeMember, or remove members from omits',
        ),
      );
    }
    const createOmits = ops.create?.omits ?? new Set();
    if (createOmits.has('active') && !ops.deactivate) {
      this.issues.push(
        this.source.issue(
          [...at, 'create', 'omits'],
          'create omits active but deactivate is not declared',
          'declare operations.deactivate',
        ),
      );
    }
    if (createOmits.has('members') && !ops.addMember) {
      this.issues.push(
        this.source.issue(
          [...at, 'create', 'omits'],
          'create omits members but addMember is not declared',
          'declare operations.addMember',
        ),
      );
    }
    if (type === 'User' && (ops.addMember || ops.removeMember)) {
      this.issues.push(
        this.source.issue(
          at,
          'addMember/removeMember belong to Group',
          'move them under resources.Group.operations',
        ),
      );
    }
    if ((ops.activate === undefined) !== (ops.deactivate === undefined)) {
      this.issues.push(
        this.source.issue(
          at,
          'declare both activate and deactivate, or neither',
          'add the missing one, or remove the other',
        ),
      );
    }
  }

  private operation(name: string, raw: RawOperation, at: PathSegment[]): CompiledOperation {
    this.checkPlaceholders(raw.path, [...at, 'path']);
    this.checkPlacement(name, raw, at);
    return {
      name,
      method: raw.method,
      path: raw.path,
      query: this.expressionMap(raw.query, [...at, 'query']),
      headers: this.expressionMap(raw.headers, [...at, 'headers']),
      body: this.optional(raw.body, [...at, 'body']),
      response: this.optional(raw.response, [...at, 'response']),
      retry: raw.retry ?? raw.method === 'GET',
      items: this.optional(raw.items, [...at, 'items']),
      total: this.optional(raw.total, [...at, 'total']),
      pageSize: raw.pageSize,
      paging: this.paging(raw, at),
      idFrom: idSource(raw.idFrom),
      subReads: this.subReads(name, raw.subReads, at),
      itemsLack: (raw.itemsLack ?? []).map((a) => a.toLowerCase()),
      omits: new Set(raw.omits ?? []),
      keepsRecord: raw.keepsRecord ?? false,
      followUps: (raw.then ?? []).map((call, i) =>
        this.operation(`${name}.then[${i}]`, call, [...at, 'then', i]),
      ),
      lookups: this.lookupsUsed([
        ...Object.values(raw.query ?? {}),
        ...Object.values(raw.headers ?? {}),
        ...(raw.body === undefined ? [] : [raw.body]),
      ]),
    };
  }

  /** The lookups some request expressions use, each once (all of them where one uses `$lookups` whole). */
  private lookupsUsed(sources: string[]): string[] {
    const names = new Set(sources.flatMap(usedLookups));
    if (names.has('*')) return [...this.lookupNames];
    return [...names].filter((name) => this.lookupNames.has(name));
  }

  /** Keys that belong to some operations only (the schema lists them for all). */
  private checkPlacement(name: string, raw: RawOperation, at: PathSegment[]): void {
    const isSubRead = name.includes('.');
    const misplaced = (key: string, where: string) =>
      this.issues.push(
        this.source.issue([...at, key], `${key} belongs to ${where}, not to ${name}`, `remove ${key} here`, {
          atKey: true,
        }),
      );
    if (raw.paging !== undefined && name !== 'list' && !isSubRead) misplaced('paging', 'list and sub-reads');
    if (raw.idFrom !== undefined && !NAMES_ITS_ID.has(name)) misplaced('idFrom', 'create and update');
    if (raw.subReads !== undefined && name !== 'get') misplaced('subReads', 'get');
    if (raw.for !== undefined && !isSubRead) misplaced('for', 'sub-reads');
    if (raw.then !== undefined && !TAKES_FOLLOW_UPS.has(name))
      misplaced('then', 'update, delete, activate, deactivate, addMember and removeMember');
    const mode = typeof raw.paging === 'string' ? raw.paging : undefined;
    if ((mode === 'page' || mode === 'offset') && raw.pageSize === undefined) {
      this.issues.push(
        this.source.issue(
          [...at, 'paging'],
          `paging: ${mode} needs pageSize`,
          'add pageSize: the most records the app returns per call',
        ),
      );
    }
  }

  /**
   * The declared paging, or the one `pageSize` implies: offset/limit, or page numbers when the
   * call's query uses `page` and not `offset`; without pageSize, one call.
   */
  private paging(raw: RawOperation, at: PathSegment[]): Paging {
    const declared = raw.paging;
    if (declared === undefined) {
      if (raw.pageSize === undefined) return { mode: 'none' };
      const query = Object.values(raw.query ?? {}).join('\n');
      return { mode: /\bpage\b/.test(query) && !/\boffset\b/.test(query) ? 'page' : 'offset' };
    }
    if (typeof declared === 'string') return { mode: declared };
    if ('next' in declared)
      return { mode: 'next', next: this.expression(declared.next, [...at, 'paging', 'next']) };
    return { mode: 'cursor', cursor: this.expression(declared.cursor, [...at, 'paging', 'cursor']) };
  }

  private subReads(
    name: string,
    raw: Record<string, RawOperation> | undefined,
    at: PathSegment[],
  ): CompiledSubRead[] {
    if (name.includes('.')) return [];
    return Object.entries(raw ?? {}).map(([field, sub]) => {
      const path = [...at, 'subReads', field];
      if (sub.subReads !== undefined) {
        this.issues.push(
          this.source.issue(
            [...path, 'subReads'],
            'a sub-read cannot have sub-reads of its own',
            'move it up, beside this one',
            {
              atKey: true,
            },
          ),
        );
      }
      return {
        field,
        operation: this.operation(`${name}.${field}`, sub, path),
        forMembers: sub.for === 'members',
      };
    });
  }

  /** `members.key`: Group only, a User attribute the User mapping can search (one push-down per member). */
  private checkMemberKey(raw: RawMapping, resources: CompiledMapping['resources']): void {
    const user = raw.resources.User?.members;
    if (user) {
      this.issues.push(
        this.source.issue(
          ['resources', 'User', 'members'],
          'members belongs to Group',
          'move it under resources.Group',
          {
            atKey: true,
          },
        ),
      );
    }
    const key = raw.resources.Group?.members?.key;
    if (key === undefined) return;
    const at = ['resources', 'Group', 'members', 'key'];
    const path = parseAttrPath(key);
    if (!path || path.attribute.toLowerCase() === 'id') {
      this.issues.push(
        this.source.issue(
          at,
          `'${key}' is not a User attribute a member can be known by`,
          'e.g. userName or emails.value',
        ),
      );
      return;
    }
    if (!resources.User?.filters.has(key.toLowerCase())) {
      this.issues.push(
        this.source.issue(
          at,
          `members are known by ${key}, but the User mapping cannot search it`,
          `declare resources.User.filters.${key}: the adapter finds a member it does not know by that search`,
        ),
      );
    }
  }

  private checkPlaceholders(template: string, at: PathSegment[]): void {
    for (const match of template.matchAll(/\{([^}]*)\}/g)) {
      const name = match[1] ?? '';
      if (!(PATH_PLACEHOLDERS as readonly string[]).includes(name)) {
        this.issues.push(
          this.source.issue(
            at,
            `unknown placeholder {${name}} in path`,
            `use one of ${PATH_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
          ),
        );
      }
    }
  }

  /**
   * `$lookups.<name>` names a declared lookup, and only request expressions use it: they are
   * rendered after the lookups were made. A lookup's own request and the health call see none
   * (a lookup made to render a lookup, or a health check that depends on one).
   */
  private checkLookups(source: string, at: PathSegment[]): void {
    const names = usedLookups(source);
    if (names.length === 0) return;
    const last = at.at(-1);
    const parent = at.at(-2);
    const inRequest = last === 'body' || parent === 'query' || parent === 'headers';
    if (!inRequest || at[0] === 'health' || at[0] === 'lookups') {
      this.issues.push(
        this.source.issue(
          at,
          'only the query, headers and body of operations and the query of filters can use $lookups',
          at[0] === 'lookups'
            ? 'a lookup cannot use another lookup: give the value itself'
            : 'move the value into a request expression',
        ),
      );
      return;
    }
    for (const name of names.filter((n) => n !== '*' && !this.lookupNames.has(n))) {
      const declared = [...this.lookupNames];
      this.issues.push(
        this.source.issue(
          at,
          `$lookups.${name}: the mapping declares no lookup ${name}`,
          declared.length > 0
            ? `use one of ${declared.map((d) => `$lookups.${d}`).join(', ')}, or declare lookups.${name}`
            : `declare lookups.${name} at the top of the mapping`,
        ),
      );
    }
  }

  private errorRules(rules: RawErrorRule[] | undefined, at: PathSegment[]): CompiledErrorRule[] {
    return (rules ?? []).map((rule, i) => ({
      statuses: new Set(Array.isArray(rule.status) ? rule.status : [rule.status]),
      when: this.optional(rule.when, [...at, i, 'when']),
      scimStatus: rule.scimStatus,
      scimType: rule.scimType,
      detail: this.optional(rule.detail, [...at, i, 'detail']),
    }));
  }

  private expressionMap(map: ExpressionMap | undefined, at: PathSegment[]): Array<[string, Expression]> {
    return Object.entries(map ?? {}).map(([name, source]) => [name, this.expression(source, [...at, name])]);
  }

  private optional(source: string | undefined, at: PathSegment[]): Expression | undefined {
    return source === undefined ? undefined : this.expression(source, at);
  }

  private expression(source: string, at: PathSegment[]): Expression {
    this.checkLookups(source, at);
    try {
      return withFailureMeaning(compileExpression(source), at);
    } catch (error) {
      const detail =
        error instanceof ExpressionCompileError
          ? error
          : new ExpressionCompileError(String(error), undefined);
      const where = detail.position === undefined ? '' : ` at character ${detail.position}`;
      this.issues.push(
        this.source.issue(
          at,
          `JSONata error${where}: ${detail.message}`,
          'check the expression at https://try.jsonata.org',
        ),
      );
      return { source, evaluate: async () => undefined, ast: () => undefined };
    }
  }
}

/** Expressions that turn what the app answered into SCIM: a failure there is the app's answer. */
const READS_APP_DATA = new Set([
  'toScim',
  'id',
  'response',
  'items',
  'total',
  'when',
  'detail',
  'paging',
  'protect',
  'subReads',
]);

/**
 * A run-time failure of an expression (a `$error(...)` call, a type error) becomes a SCIM error
 * with a meaning: 502 when it read the app's answer, 400 invalidValue when it read what the
 * client sent (fromScim, request bodies, queries), so bad input is never answered with a 500.
 */
function withFailureMeaning(expression: Expression, at: PathSegment[]): Expression {
  const where = formatPath(at);
  const readsApp = at.some((segment) => typeof segment === 'string' && READS_APP_DATA.has(segment));
  return {
    ...expression,
    evaluate: async (input, bindings) => {
      try {
        return await expression.evaluate(input, bindings);
      } catch (error) {
        const { message } = describeJsonataError(error);
        if (readsApp)
          throw scimErrors.badGateway(`The mapping could not read the app's answer (${where}): ${message}`);
        throw scimErrors.invalidValue(`The mapping could not convert the request (${where}): ${message}`);
      }
    },
  };
}

function idSource(raw: RawOperation['idFrom']): IdSource | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'string') return { from: raw };
  return { from: 'header', header: raw.header.toLowerCase() };
}
