import jsonata from 'jsonata';
import { compileSubset } from './jsonata-subset.js';

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
  const subset = compileSubset(compiled.ast());
  return {
    source,
    evaluate: async (input, bindings) => {
      if (subset) {
        try {
          return normalise(subset(input, bindings));
        } catch {
          // OUTSIDE_SUBSET, or anything unforeseen: JSONata gives the answer (or the error).
        }
      }
      return normalise(await compiled.evaluate(input, bindings));
    },
    ast: () => compiled.ast(),
  };
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
      if (v === undefined) continue;
      // Assigning `__proto__` would set the prototype instead of adding the key.
      if (k === '__proto__')
        Object.defineProperty(out, k, {
          value: normalise(v),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else out[k] = normalise(v);
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
