import type { AttributeDefinition } from '../schema-types.js';
import type { CompareOperator } from './ast.js';

/** A non-null filter literal. */
export type ScalarLiteral = string | number | boolean;

/** `2011-05-13T04:42:34Z`: how values of an attribute missing from the schema are recognised as dateTimes. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/**
 * Compares one stored value with a filter literal (RFC 7644 §3.4.2.2 Table 3). `ne` is handled by
 * the caller as the negation of `eq` over all values, so here it simply means "not equal".
 *
 * The literal's JSON type decides the comparison. A stored value of another type is converted to
 * it when that is unambiguous, because applications behind the adapter often store booleans and
 * numbers as text: stored `"True"` equals `true`, stored `"42"` equals `42`, stored `42` equals
 * `"42"`. The literal itself is never converted: `active eq "true"` does not match a boolean, and a
 * string literal never matches an attribute the schema declares boolean, integer or decimal.
 *
 * Strings honour the definition's `caseExact` (false when the attribute is unknown); dateTime
 * attributes, and unknown attributes whose values both look like ISO 8601 timestamps, compare
 * chronologically with `eq`/`gt`/`ge`/`lt`/`le`.
 */
export function compareScalar(
  op: CompareOperator,
  stored: unknown,
  literal: ScalarLiteral,
  definition: AttributeDefinition | undefined,
): boolean {
  const declared = definition?.type;
  if (declared === 'boolean' && typeof literal !== 'boolean') return false;
  if ((declared === 'integer' || declared === 'decimal') && typeof literal !== 'number') return false;

  if (typeof literal === 'boolean') {
    const value = storedAsBoolean(stored);
    return value !== undefined && (op === 'ne' ? value !== literal : op === 'eq' && value === literal);
  }
  if (typeof literal === 'number') {
    const value = storedAsNumber(stored);
    return value !== undefined && compareOrdered(op, value, literal);
  }
  const text = storedAsString(stored);
  if (text === undefined) return false;
  if (op !== 'co' && op !== 'sw' && op !== 'ew') {
    const chronological =
      declared === 'dateTime' || (declared === undefined && bothLookLikeDates(text, literal));
    const storedTime = chronological ? Date.parse(text) : Number.NaN;
    const literalTime = chronological ? Date.parse(literal) : Number.NaN;
    if (!Number.isNaN(storedTime) && !Number.isNaN(literalTime))
      return compareOrdered(op, storedTime, literalTime);
  }
  return compareStrings(op, text, literal, definition?.caseExact ?? false);
}

function compareStrings(op: CompareOperator, stored: string, literal: string, caseExact: boolean): boolean {
  const a = caseExact ? stored : stored.toLowerCase();
  const b = caseExact ? literal : literal.toLowerCase();
  switch (op) {
    case 'co':
      return a.includes(b);
    case 'sw':
      return a.startsWith(b);
    case 'ew':
      return a.endsWith(b);
    default:
      return compareOrdered(op, a, b);
  }
}

/** Equality and ordering; strings order lexicographically by code unit (RFC 7644 §3.4.2.2 Table 3). */
function compareOrdered<T extends string | number>(op: CompareOperator, a: T, b: T): boolean {
  switch (op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
    default:
      return false;
  }
}

function storedAsBoolean(stored: unknown): boolean | undefined {
  if (typeof stored === 'boolean') return stored;
  if (typeof stored !== 'string') return undefined;
  const lower = stored.trim().toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  return undefined;
}

function storedAsNumber(stored: unknown): number | undefined {
  if (typeof stored === 'number') return Number.isFinite(stored) ? stored : undefined;
  if (typeof stored !== 'string' || stored.trim() === '') return undefined;
  const value = Number(stored);
  return Number.isFinite(value) ? value : undefined;
}

function storedAsString(stored: unknown): string | undefined {
  if (typeof stored === 'string') return stored;
  if (typeof stored === 'number' && Number.isFinite(stored)) return String(stored);
  return undefined;
}

function bothLookLikeDates(a: string, b: string): boolean {
  return ISO_DATE_TIME.test(a) && ISO_DATE_TIME.test(b);
}
