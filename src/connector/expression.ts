import jsonata from 'jsonata';

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
  const fast = fastPathOf(compiled.ast());
  return {
    source,
    evaluate: async (input, bindings) => {
      const value = fast ? fast(input) : NOT_FAST;
      return normalise(value === NOT_FAST ? await compiled.evaluate(input, bindings) : value);
    },
    ast: () => compiled.ast(),
  };
}

/** Returned by a fast path for an input it does not cover: JSONata evaluates it instead. */
const NOT_FAST: unique symbol = Symbol('not fast');
type FastPath = (input: unknown) => unknown;

/**
 * Most expressions in a mapping are plain field paths (`id`, `account`, `items`) or objects of
 * them (`{ "account": app }`). On a plain-object input they mean a property lookup, so they are
 * answered without JSONata's asynchronous evaluator (one promise per syntax node, which async
 * context tracking makes dearer still). Anything else, and any input where JSONata's sequence
 * rules could differ (arrays, primitives on the way), goes to JSONata.
 */
function fastPathOf(ast: unknown): FastPath | undefined {
  const names = namePath(ast);
  if (names) return (input) => (isPlainRecord(input) ? lookupNames(input, names) : NOT_FAST);
  if (
    !isNode(ast) ||
    ast.type !== 'unary' ||
    ast.value !== '{' ||
    !hasOnly(ast, ['type', 'value', 'position', 'lhs'])
  )
    return undefined;
  if (!Array.isArray(ast.lhs)) return undefined;
  const pairs: Array<[string, string[]]> = [];
  for (const pair of ast.lhs as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) return undefined;
    const [key, value] = pair as [unknown, unknown];
    if (!isNode(key) || key.type !== 'string' || typeof key.value !== 'string') return undefined;
    if (!hasOnly(key, ['type', 'value', 'position'])) return undefined;
    const valueNames = namePath(value);
    // JSONata refuses duplicate keys; let it say so.
    if (!valueNames || pairs.some(([k]) => k === key.value)) return undefined;
    pairs.push([key.value, valueNames]);
  }
  return (input) => {
    if (!isPlainRecord(input)) return NOT_FAST;
    const out: Record<string, unknown> = {};
    for (const [key, path] of pairs) {
      const value = lookupNames(input, path);
      if (value === NOT_FAST) return NOT_FAST;
      if (value !== undefined) out[key] = value;
    }
    return out;
  };
}

type AstNode = Record<string, unknown> & { type?: unknown; value?: unknown };

function isNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasOnly(node: AstNode, keys: string[]): boolean {
  return Object.keys(node).every((key) => keys.includes(key));
}

/** `a.b.c` as ['a', 'b', 'c'] when the expression is nothing but field names. */
function namePath(ast: unknown): string[] | undefined {
  if (!isNode(ast) || ast.type !== 'path' || !hasOnly(ast, ['type', 'steps']) || !Array.isArray(ast.steps))
    return undefined;
  const names: string[] = [];
  for (const step of ast.steps as unknown[]) {
    if (!isNode(step) || step.type !== 'name' || typeof step.value !== 'string') return undefined;
    if (!hasOnly(step, ['type', 'value', 'position'])) return undefined;
    names.push(step.value);
  }
  return names.length > 0 ? names : undefined;
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function lookupNames(input: Record<string, unknown>, names: string[]): unknown {
  let current: unknown = input;
  for (const name of names) {
    if (current === undefined) return undefined;
    if (!isPlainRecord(current)) return NOT_FAST;
    // Inherited members (`constructor`) are JSONata's business.
    if (!Object.hasOwn(current, name)) return name in current ? NOT_FAST : undefined;
    current = current[name];
  }
  return current;
}

/**
 * JSONata marks sequences with extra properties and may return frozen arrays; the rest of the
 * code wants plain JSON values, so results are copied into plain arrays.
 */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[k] = normalise(v);
    }
    return out;
  }
  return value;
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
