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
  type CompiledMapping,
  type CompiledOperation,
  type CompiledResourceMapping,
  type HttpMethod,
  type OperationName,
  PATH_PLACEHOLDERS,
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
  itemsLack?: string[];
  omits?: Array<'active' | 'members'>;
  keepsRecord?: boolean;
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
  operations: Partial<Record<OperationName, RawOperation>>;
}
interface RawMapping {
  app: string;
  health?: RawOperation;
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
  return mapping;
}

class MappingCompiler {
  readonly issues: ConfigIssue[] = [];

  constructor(private readonly source: YamlSource) {}

  compile(raw: RawMapping): CompiledMapping {
    const resources: CompiledMapping['resources'] = {};
    for (const type of ['User', 'Group'] as const) {
      const resource = raw.resources[type];
      if (resource) resources[type] = this.resource(type, resource);
    }
    return {
      file: this.source.file,
      app: raw.app,
      health: raw.health ? this.operation('health', raw.health, ['health']) : undefined,
      errors: this.errorRules(raw.errors, ['errors']),
      resources,
    };
  }

  private resource(type: ResourceTypeName, raw: RawResource): CompiledResourceMapping {
    const at = ['resources', type];
    const operations: Partial<Record<OperationName, CompiledOperation>> = {};
    for (const [name, op] of Object.entries(raw.operations) as Array<[OperationName, RawOperation]>) {
      operations[name] = this.operation(name, op, [...at, 'operations', name]);
    }
    this.checkOperations(type, operations, [...at, 'operations']);
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
      filters.set(attribute.toLowerCase(), {
        query: this.expressionMap(pushdown.query, [...path, 'query']),
        path: pushdown.path,
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
      itemsLack: (raw.itemsLack ?? []).map((a) => a.toLowerCase()),
      omits: new Set(raw.omits ?? []),
      keepsRecord: raw.keepsRecord ?? false,
    };
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
const READS_APP_DATA = new Set(['toScim', 'id', 'response', 'items', 'total', 'when', 'detail']);

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
