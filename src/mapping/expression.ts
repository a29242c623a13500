import jsonata from 'jsonata';
import { setOwnProperty } from '../lib/own-property.js';
import { YIELD_EVERY, yieldToEventLoop } from '../lib/yield.js';
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

/**
 * The expression, evaluated in chunks when the value of `key` maps the items of one long input
 * array one by one (`"members": [member_ids.{ "value": $string($) }]`): the rest of the object
 * once, then `key`'s value over slices of YIELD_EVERY items with a turn of the event loop between
 * them, then the object put together in the constructor's order. What it gives is what the whole
 * expression gives; a group of 100 000 members is then mapped without holding the event loop.
 * Undefined unless the expression is an object constructor whose pairs have distinct literal
 * names and `key`'s value is such a mapping (see {@link itemwiseField}).
 */
export function withItemwiseKey(expression: Expression, key: string): Expression | undefined {
  const node = expression.ast() as Record<string, unknown>;
  if (node.type !== 'unary' || node.value !== '{' || !Array.isArray(node.lhs)) return undefined;
  const names: string[] = [];
  let value: Record<string, unknown> | undefined;
  for (const pair of node.lhs as unknown[][]) {
    const name = pair[0] as Record<string, unknown> | undefined;
    if (name?.type !== 'string' || typeof name.value !== 'string' || names.includes(name.value))
      return undefined;
    names.push(name.value);
    if (name.value === key) value = pair[1] as Record<string, unknown>;
  }
  if (value === undefined) return undefined;
  // `[path]`: the array constructor around the mapping, as the shipped mappings write it.
  const inner = value.type === 'unary' && value.value === '[' ? value.expressions : undefined;
  const wrapped = Array.isArray(inner) && inner.length === 1;
  const path = (wrapped ? inner[0] : value) as Record<string, unknown>;
  const field = itemwiseField(path);
  const rest = withoutResultKey(expression, key);
  const items = field === undefined ? undefined : compileSubset(path);
  if (field === undefined || !items || !rest) return undefined;
  return {
    source: expression.source,
    ast: () => expression.ast(),
    evaluate: async (input, bindings) => {
      const all =
        typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[field] : undefined;
      if (!Array.isArray(all) || all.length <= YIELD_EVERY) return expression.evaluate(input, bindings);
      const others = await rest.evaluate(input, bindings);
      if (typeof others !== 'object' || others === null || Array.isArray(others))
        return expression.evaluate(input, bindings);
      const mapped: unknown[] = [];
      for (let start = 0; start < all.length; start += YIELD_EVERY) {
        await yieldToEventLoop();
        let part: unknown;
        try {
          const slice = {
            ...(input as Record<string, unknown>),
            [field]: all.slice(start, start + YIELD_EVERY),
          };
          part = normalise(items(slice, bindings));
        } catch {
          // Outside the subset: JSONata maps the whole, in one piece.
          return expression.evaluate(input, bindings);
        }
        if (Array.isArray(part)) for (const item of part) mapped.push(item);
        else if (part !== undefined) mapped.push(part);
      }
      const result = wrapped ? mapped : sequenceValue(mapped);
      const out: Record<string, unknown> = {};
      for (const name of names) {
        const item = name === key ? result : (others as Record<string, unknown>)[name];
        if (item !== undefined) out[name] = item;
      }
      return out;
    },
  };
}

/** What a bare path gives for its results, as JSONata's sequences do: nothing, one value, or an array. */
function sequenceValue(items: unknown[]): unknown {
  if (items.length === 0) return undefined;
  return items.length === 1 ? items[0] : items;
}

/** Keys a syntax node of the per-item part may carry; anything else (`%`, `#`, `@`, grouping) is not per item. */
const ITEMWISE_KEYS = new Set([
  'type',
  'value',
  'position',
  'steps',
  'expressions',
  'lhs',
  'rhs',
  'arguments',
  'procedure',
  'name',
  'stages',
  'expr',
  'condition',
  'then',
  'else',
]);

/**
 * The input field a path maps item by item: `F.step…` where F is a plain field name and what
 * follows reads only the item (no root `$$`, no parent `%`, no positional or grouping binding,
 * no sort). Undefined for anything else.
 */
function itemwiseField(path: Record<string, unknown>): string | undefined {
  if (path.type !== 'path' || !Array.isArray(path.steps) || path.steps.length < 2) return undefined;
  if (Object.keys(path).some((k) => k !== 'type' && k !== 'steps' && k !== 'position')) return undefined;
  const [first, ...rest] = path.steps as Array<Record<string, unknown>>;
  if (first?.type !== 'name' || typeof first.value !== 'string') return undefined;
  if (Object.keys(first).some((k) => k !== 'type' && k !== 'value' && k !== 'position')) return undefined;
  return rest.every(readsOnlyTheItem) ? first.value : undefined;
}

function readsOnlyTheItem(node: unknown): boolean {
  if (Array.isArray(node)) return node.every(readsOnlyTheItem);
  if (typeof node !== 'object' || node === null) return true;
  const record = node as Record<string, unknown>;
  if (record.type === 'parent' || record.type === 'sort') return false;
  if (record.type === 'variable' && record.value === '$') return false;
  for (const [k, v] of Object.entries(record)) {
    if (!ITEMWISE_KEYS.has(k)) return false;
    if (typeof v === 'object' && !readsOnlyTheItem(v)) return false;
  }
  return true;
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
    setOwnProperty(out, key, normalise(item));
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
