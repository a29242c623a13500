import jsonata from 'jsonata';
import { compileSubset, type SubsetEvaluator } from './jsonata-subset.js';
import { randomSecret } from './random-secret.js';

/** A JSONata expression compiled once at load time. */
export interface Expression {
  readonly source: string;
  evaluate(input: unknown, bindings?: Record<string, unknown>): Promise<unknown>;
  /** JSONata's syntax tree (untyped), for static reading such as discovery. */
  ast(): unknown;
}

export class ExpressionCompileError extends Error {
  /** Character offset in the expression, when JSONata reports one. */
  readonly position: number | undefined;

  constructor(message: string, position: number | undefined) {
    super(message);
    this.name = 'ExpressionCompileError';
    this.position = position;
  }
}

/** Compiles `source`; a syntax error becomes an ExpressionCompileError with its position. */
export function compileExpression(source: string): Expression {
  let compiled: jsonata.Expression;
  try {
    compiled = jsonata(source);
  } catch (error) {
    const { message, position } = describeJsonataError(error);
    throw new ExpressionCompileError(message, position);
  }
  registerFunctions(compiled);
  // The subset knows only pure built-ins: an expression calling $randomSecret is left to JSONata,
  // so a random value is never drawn by an evaluation the subset abandons and starts again.
  const subset = compileSubset(compiled.ast());
  return {
    source,
    evaluate: subsetFirst(subset, async (input, bindings) =>
      normalise(await compiled.evaluate(input, bindings)),
    ),
    ast: () => compiled.ast(),
  };
}

type Evaluate = Expression['evaluate'];

/** Evaluates with the synchronous subset where it can, else with `fallback`. */
function subsetFirst(subset: SubsetEvaluator | undefined, fallback: Evaluate): Evaluate {
  if (!subset) return fallback;
  return async (input, bindings) => {
    try {
      return normalise(subset(input, bindings));
    } catch {
      // OUTSIDE_SUBSET, or anything unforeseen: JSONata gives the answer (or the error).
      return fallback(input, bindings);
    }
  };
}

/** Functions the adapter adds to JSONata's own, available to every mapping expression. */
function registerFunctions(compiled: jsonata.Expression): void {
  // <n?s?:s>: an optional number (the length) and an optional string (the alphabet), giving a string.
  compiled.registerFunction(
    'randomSecret',
    (length?: number, alphabet?: string) => randomSecret(length, alphabet),
    '<n?s?:s>',
  );
}

/**
 * The expression without `key` in the object it builds, for callers that do not need that key (a
 * group read without its members need not map 100 000 of them). Undefined unless the expression
 * ends in an object constructor naming the key, and its rest is within the JSONata subset. Values
 * outside the subset evaluate the whole expression and drop the key.
 */
export function withoutResultKey(expression: Expression, key: string): Expression | undefined {
  const trimmed = withoutKeyNode(expression.ast(), key);
  const subset = trimmed === undefined ? undefined : compileSubset(trimmed);
  if (!subset) return undefined;
  return {
    source: expression.source,
    evaluate: subsetFirst(subset, async (input, bindings) => {
      const full = await expression.evaluate(input, bindings);
      if (typeof full === 'object' && full !== null && !Array.isArray(full))
        delete (full as Record<string, unknown>)[key];
      return full;
    }),
    ast: () => trimmed,
  };
}

/** The syntax tree with the pair named `key` left out of its final object constructor. */
function withoutKeyNode(node: unknown, key: string): unknown {
  if (typeof node !== 'object' || node === null) return undefined;
  const { type, value, lhs, expressions } = node as Record<string, unknown>;
  if (type === 'unary' && value === '{' && Array.isArray(lhs)) {
    const pairs = lhs.filter((pair) => {
      const name = Array.isArray(pair) ? (pair[0] as Record<string, unknown> | undefined) : undefined;
      return !(name?.type === 'string' && name.value === key);
    });
    return pairs.length === lhs.length ? undefined : { ...node, lhs: pairs };
  }
  if (type === 'block' && Array.isArray(expressions) && expressions.length > 0) {
    const last = withoutKeyNode(expressions[expressions.length - 1], key);
    return last === undefined ? undefined : { ...node, expressions: [...expressions.slice(0, -1), last] };
  }
  return undefined;
}

/**
 * JSONata marks sequences with extra properties and may return frozen arrays; the rest of the
 * code wants plain JSON values, so results are copied into plain arrays.
 */
function normalise(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const items = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) items[i] = normalise(value[i]);
    return items;
  }
  const out: Record<string, unknown> = {};
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const item = record[key];
    if (item === undefined || !Object.hasOwn(record, key)) continue;
    // Assigning `__proto__` would set the prototype instead of adding the key.
    if (key === '__proto__') {
      Object.defineProperty(out, key, {
        value: normalise(item),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      out[key] = normalise(item);
    }
  }
  return out;
}

export function describeJsonataError(error: unknown): { message: string; position: number | undefined } {
  if (typeof error === 'object' && error !== null) {
    const record = error as { message?: unknown; position?: unknown; code?: unknown };
    const message = typeof record.message === 'string' ? record.message : String(error);
    const position = typeof record.position === 'number' ? record.position : undefined;
    return { message: record.code ? `${message} (${String(record.code)})` : message, position };
  }
  return { message: String(error), position: undefined };
}
