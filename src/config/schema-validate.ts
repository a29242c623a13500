import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ConfigIssue } from './config-error.js';
import type { PathSegment, YamlSource } from './yaml-source.js';

/**
 * Validates parsed YAML against one of the JSON Schemas in `schemas/` (the same files editors
 * use for completion) and turns every violation into a located issue with a fix.
 */
export function createSchemaValidator(
  schema: object,
): (source: YamlSource, data: unknown, fromEnvironment?: ReadonlySet<string>) => ConfigIssue[] {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
  ajv.addVocabulary(['x-fix']);
  ajv.addFormat('date-time', { validate: (s: string) => !Number.isNaN(Date.parse(s)) });
  ajv.addFormat('uri', { validate: (s: string) => URL.canParse(s) });
  const validate: ValidateFunction = ajv.compile(schema);
  return (source, data, fromEnvironment = new Set()) => {
    if (validate(data)) return [];
    // Values from ${ENV} are strings ("8080" for a port): convert those, and only those, to the
    // type the schema wants, then check again. A blank value in the file stays an error.
    const converted = (validate.errors ?? []).filter(
      (e) => e.keyword === 'type' && fromEnvironment.has(e.instancePath) && convertInPlace(data, e),
    );
    if (converted.length > 0 && validate(data)) return [];
    return dedupe((validate.errors ?? []).filter(isReportable).map((e) => toIssue(source, e)));
  };
}

function convertInPlace(data: unknown, error: ErrorObject): boolean {
  const path = pointerToPath(error.instancePath);
  const key = path.pop();
  let parent: unknown = data;
  for (const segment of path) parent = (parent as Record<string | number, unknown>)[segment];
  if (key === undefined || typeof parent !== 'object' || parent === null) return false;
  const container = parent as Record<string | number, unknown>;
  const value = container[key];
  if (typeof value !== 'string') return false;
  const wanted = String((error.params as { type?: unknown }).type);
  if (
    (wanted === 'integer' && /^-?\d+$/.test(value)) ||
    (wanted === 'number' && /^-?\d+(\.\d+)?$/.test(value))
  ) {
    container[key] = Number(value);
    return true;
  }
  if (wanted === 'boolean' && (value === 'true' || value === 'false')) {
    container[key] = value === 'true';
    return true;
  }
  return false;
}

/** `oneOf` reports its branches' failures too; the branch errors are enough. */
function isReportable(error: ErrorObject): boolean {
  return error.keyword !== 'oneOf' && error.keyword !== 'if';
}

function toIssue(source: YamlSource, error: ErrorObject): ConfigIssue {
  const path = pointerToPath(error.instancePath);
  const parentSchema = error.parentSchema as Record<string, unknown> | undefined;
  const fix = typeof parentSchema?.['x-fix'] === 'string' ? parentSchema['x-fix'] : undefined;
  switch (error.keyword) {
    case 'additionalProperty':
    case 'additionalProperties': {
      const name = String(error.params.additionalProperty);
      const known = Object.keys((parentSchema?.properties as object | undefined) ?? {});
      const suggestion = closest(name, known);
      return source.issue(
        [...path, name],
        `unknown setting '${name}'`,
        suggestion ? `did you mean '${suggestion}'?` : `allowed here: ${known.join(', ')}`,
        { atKey: true },
      );
    }
    case 'required': {
      const missing = String(error.params.missingProperty);
      return source.issue(path, `'${missing}' is required here`, fix ?? `add '${missing}:'`);
    }
    case 'enum': {
      const allowed = (error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return source.issue(path, `must be one of ${allowed}`, fix ?? `use one of ${allowed}`);
    }
    default:
      return source.issue(path, error.message ?? `fails ${error.keyword}`, fix ?? defaultFix(error));
  }
}

/** A fix for rules whose schema gives no `x-fix`, derived from the rule itself. */
function defaultFix(error: ErrorObject): string | undefined {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      return `write a value of type ${String(params.type)}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `use a number ${String(params.comparison)} ${String(params.limit)}`;
    case 'minLength':
      return 'use a non-empty value';
    case 'minItems':
      return `list at least ${String(params.limit)} item(s)`;
    case 'minProperties':
      return 'add at least one entry';
    case 'pattern':
      return `match the pattern ${String(params.pattern)}`;
    case 'format':
      return `write a valid ${String(params.format)}`;
    default:
      return undefined;
  }
}

function pointerToPath(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.line}:${i.column}:${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The known name within edit distance 2, for "did you mean" hints on typos. */
function closest(name: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
