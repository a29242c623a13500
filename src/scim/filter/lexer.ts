import { scimErrors } from '../errors.js';
import type { CompareOperator, FilterValue } from './ast.js';

/** Longer filters are refused before any work is done on them. */
export const MAX_FILTER_LENGTH = 10_000;

/**
 * Deepest allowed nesting of `(` and `[`. The parser recurses once per level, so this bound is what
 * keeps hostile input such as a thousand `(` from exhausting the stack.
 */
export const MAX_FILTER_DEPTH = 64;

/** A lexical unit of a filter; `pos` is the 0-based offset of its first character in the filter text. */
export type Token =
  | { kind: 'path'; text: string; pos: number }
  | { kind: 'compare'; op: CompareOperator; text: string; pos: number }
  | { kind: 'pr' | 'and' | 'or' | 'not'; text: string; pos: number }
  | { kind: 'value'; value: FilterValue; text: string; pos: number }
  | { kind: '(' | ')' | '[' | ']' | '.'; text: string; pos: number }
  | { kind: 'end'; text: ''; pos: number };

const COMPARE_OPERATORS: ReadonlySet<string> = new Set([
  'eq',
  'ne',
  'co',
  'sw',
  'ew',
  'gt',
  'ge',
  'lt',
  'le',
]);
const LITERALS: ReadonlyMap<string, FilterValue> = new Map([
  ['true', true],
  ['false', false],
  ['null', null],
]);
const KEYWORDS: ReadonlySet<string> = new Set(['pr', 'and', 'or', 'not']);
const PUNCTUATION = new Set(['(', ')', '[', ']', '.']);

/** Letters, digits and the other characters of attribute names and schema URNs: `:` `.` `-` `_` `$`. */
const WORD_CHAR = /[A-Za-z0-9:._$-]/;
const WORD_START = /[A-Za-z$]/;
/** RFC 7159 §6 number grammar, anchored at the lexer's position by the sticky flag. */
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/**
 * Splits a filter into tokens (RFC 7644 §3.4.2.2). Operators and the literals `true`, `false`,
 * `null` are recognised case-insensitively; any other word is an attribute path, left for the
 * parser to validate. Throws `invalidFilter` for characters that cannot start a token, malformed
 * literals, oversized input and nesting deeper than {@link MAX_FILTER_DEPTH}.
 */
export function tokenize(text: string): Token[] {
  if (text.length > MAX_FILTER_LENGTH) {
    throw scimErrors.invalidFilter(
      `filter is too long (${text.length} characters, at most ${MAX_FILTER_LENGTH})`,
    );
  }
  const tokens: Token[] = [];
  let depth = 0;
  let pos = 0;
  while (pos < text.length) {
    const ch = text.charAt(pos);
    if (/\s/.test(ch)) {
      pos++;
      continue;
    }
    let token: Token;
    const previous = tokens[tokens.length - 1];
    const bare = previous?.kind === 'compare' && ch !== '"' ? readBareValue(text, pos) : undefined;
    if (bare) {
      token = bare;
    } else if (ch === '"') {
      token = readString(text, pos);
    } else if (ch === '-' || (ch >= '0' && ch <= '9')) {
      token = readNumber(text, pos);
    } else if (WORD_START.test(ch)) {
      token = classifyWord(readWhile(text, pos, WORD_CHAR), pos);
    } else if (PUNCTUATION.has(ch)) {
      token = { kind: ch as '(' | ')' | '[' | ']' | '.', text: ch, pos };
      if (ch === '(' || ch === '[') {
        depth++;
        if (depth > MAX_FILTER_DEPTH) {
          throw scimErrors.invalidFilter(
            `Filter is nested too deeply at position ${pos} (at most ${MAX_FILTER_DEPTH} levels of '(' or '[')`,
          );
        }
      } else if (ch === ')' || ch === ']') {
        // An unbalanced closer is reported by the parser, which knows what it expected instead.
        depth = Math.max(0, depth - 1);
      }
    } else {
      throw scimErrors.invalidFilter(`Unexpected character '${ch}' at position ${pos}`);
    }
    tokens.push(token);
    pos += token.text.length;
  }
  tokens.push({ kind: 'end', text: '', pos: text.length });
  return tokens;
}

/**
 * A comparison value written without quotes (`userName sw O`, `id eq 6bd72063-...`,
 * `meta.created gt 2015-10-10T14:38:21Z`). RFC 7644 §3.4.2.2 wants strings quoted, but Microsoft's
 * published SCIM test collection and other clients send them bare, so one rule reads every bare
 * value, whatever its first character: the run of characters up to the next space, parenthesis,
 * bracket or double quote is a JSON number, `true`, `false` or `null` when it is exactly one, and
 * a string otherwise. Returns undefined for what is not a value: an operator or keyword (`eq and`
 * is a missing value), nothing at all, or a single quote (`'x'` is a mis-quoted string, refused).
 */
function readBareValue(text: string, start: number): Token | undefined {
  if (text.charAt(start) === "'") return undefined;
  const raw = readWhile(text, start, /[^\s()[\]"]/);
  const lower = raw.toLowerCase();
  if (raw === '' || COMPARE_OPERATORS.has(lower) || KEYWORDS.has(lower)) return undefined;
  const literal = LITERALS.get(lower);
  const value = literal !== undefined ? literal : isJsonNumber(raw) ? Number(raw) : raw;
  return { kind: 'value', value, text: raw, pos: start };
}

function isJsonNumber(raw: string): boolean {
  NUMBER.lastIndex = 0;
  return NUMBER.exec(raw)?.[0] === raw;
}

function classifyWord(word: string, pos: number): Token {
  const lower = word.toLowerCase();
  if (COMPARE_OPERATORS.has(lower)) return { kind: 'compare', op: lower as CompareOperator, text: word, pos };
  if (KEYWORDS.has(lower)) return { kind: lower as 'pr' | 'and' | 'or' | 'not', text: word, pos };
  const literal = LITERALS.get(lower);
  if (literal !== undefined) return { kind: 'value', value: literal, text: word, pos };
  return { kind: 'path', text: word, pos };
}

function readWhile(text: string, start: number, pattern: RegExp): string {
  let end = start;
  while (end < text.length && pattern.test(text.charAt(end))) end++;
  return text.slice(start, end);
}

function readNumber(text: string, start: number): Token {
  NUMBER.lastIndex = start;
  const match = NUMBER.exec(text);
  const raw = match?.[0] ?? '';
  const next = text.charAt(start + raw.length);
  // `12abc` or `1.` must not be read as `12` followed by something else.
  if (raw === '' || raw === '-' || (next !== '' && WORD_CHAR.test(next))) {
    const word = (readWhile(text, start, WORD_CHAR) || text.charAt(start)).slice(0, 40);
    throw scimErrors.invalidFilter(`Invalid number '${word}' at position ${start}`);
  }
  return { kind: 'value', value: Number(raw), text: raw, pos: start };
}

/** RFC 7159 §7 string: double quotes, backslash escapes, no raw control characters. */
function readString(text: string, start: number): Token {
  let value = '';
  let pos = start + 1;
  while (pos < text.length) {
    const ch = text.charAt(pos);
    if (ch === '"') {
      return { kind: 'value', value, text: text.slice(start, pos + 1), pos: start };
    }
    if (ch < ' ') {
      throw scimErrors.invalidFilter(
        `Unescaped control character U+${hex4(ch.charCodeAt(0))} in string at position ${pos}`,
      );
    }
    if (ch !== '\\') {
      value += ch;
      pos++;
      continue;
    }
    const escaped = text.charAt(pos + 1);
    const simple = SIMPLE_ESCAPES[escaped];
    if (simple !== undefined) {
      value += simple;
      pos += 2;
    } else if (escaped === 'u' && /^[0-9A-Fa-f]{4}$/.test(text.slice(pos + 2, pos + 6))) {
      // Surrogate pairs arrive as two escapes and recombine on concatenation.
      value += String.fromCharCode(Number.parseInt(text.slice(pos + 2, pos + 6), 16));
      pos += 6;
    } else {
      const shown = escaped === '' ? '\\' : `\\${escaped}`;
      throw scimErrors.invalidFilter(`Invalid escape '${shown}' in string at position ${pos}`);
    }
  }
  throw scimErrors.invalidFilter(`Unterminated string starting at position ${start}`);
}

function hex4(code: number): string {
  return code.toString(16).toUpperCase().padStart(4, '0');
}
