import { formatAttrPath, parseAttrPath } from '../attr-path.js';
import { scimErrors } from '../errors.js';
import type { AttrPath, CompareOperator, Filter, FilterValue } from './ast.js';
import { type Token, tokenize } from './lexer.js';

/**
 * Parses a `filter` query parameter (RFC 7644 §3.4.2.2) into a syntax tree. Attribute names and
 * operators are case-insensitive; `not` binds tighter than `and`, which binds tighter than `or`.
 * Throws `invalidFilter` with the position of the first problem.
 */
export function parseFilter(text: string): Filter {
  return new Parser(text, false).parseAll();
}

/**
 * Parses the content of a value-path bracket (RFC 7644 §3.4.2.2 `valFilter`, the `type eq "work"`
 * in `emails[type eq "work"]`), as PATCH paths need (RFC 7644 §3.5.2). Attribute names are
 * relative to the multi-valued attribute, so schema URNs, sub-attributes and brackets are refused.
 */
export function parseValueFilter(text: string): Filter {
  return new Parser(text, true).parseAll();
}

const ORDERING: ReadonlySet<CompareOperator> = new Set(['gt', 'ge', 'lt', 'le']);
const SUBSTRING: ReadonlySet<CompareOperator> = new Set(['co', 'sw', 'ew']);

class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(
    text: string,
    private readonly relative: boolean,
  ) {
    this.tokens = tokenize(text);
  }

  parseAll(): Filter {
    if (this.peek().kind === 'end') throw scimErrors.invalidFilter('Filter is empty');
    const filter = this.parseOr(this.relative);
    const rest = this.peek();
    if (rest.kind !== 'end') {
      throw scimErrors.invalidFilter(
        `Unexpected ${describe(rest)}; expected 'and', 'or' or the end of the filter`,
      );
    }
    return filter;
  }

  // Both binary levels loop instead of recursing, so long `a or b or c ...` chains cost no stack.
  private parseOr(inBrackets: boolean): Filter {
    let left = this.parseAnd(inBrackets);
    while (this.peek().kind === 'or') {
      this.advance();
      left = { kind: 'or', left, right: this.parseAnd(inBrackets) };
    }
    return left;
  }

  private parseAnd(inBrackets: boolean): Filter {
    let left = this.parseUnary(inBrackets);
    while (this.peek().kind === 'and') {
      this.advance();
      left = { kind: 'and', left, right: this.parseUnary(inBrackets) };
    }
    return left;
  }

  private parseUnary(inBrackets: boolean): Filter {
    const token = this.advance();
    switch (token.kind) {
      case 'not': {
        // RFC 7644 §3.4.2.2: `*1"not" "(" FILTER ")"`; a bare `not a eq b` is not in the grammar.
        const open = this.advance();
        if (open.kind !== '(') {
          throw scimErrors.invalidFilter(`Expected '(' after 'not' but found ${describe(open)}`);
        }
        return { kind: 'not', filter: this.parseGroupRest(open, inBrackets) };
      }
      case '(':
        return this.parseGroupRest(token, inBrackets);
      case 'path':
        return this.parseAttributeExpression(token, inBrackets);
      case 'end':
        throw scimErrors.invalidFilter(
          `Expected an attribute name at position ${token.pos} but the filter ended`,
        );
      default:
        throw scimErrors.invalidFilter(
          `Unexpected ${describe(token)}; expected an attribute name, 'not' or '('`,
        );
    }
  }

  private parseGroupRest(open: Token, inBrackets: boolean): Filter {
    const inner = this.parseOr(inBrackets);
    const close = this.advance();
    if (close.kind !== ')') {
      throw scimErrors.invalidFilter(
        `Expected ')' to close the '(' at position ${open.pos} but found ${describe(close)}`,
      );
    }
    return inner;
  }

  private parseAttributeExpression(pathToken: Token, inBrackets: boolean): Filter {
    const path = this.parsePath(pathToken, inBrackets);
    const next = this.advance();
    if (next.kind === '[') return this.parseValuePath(path, pathToken, next, inBrackets);
    if (next.kind === 'pr') {
      const extra = this.peek();
      if (extra.kind === 'value') {
        throw scimErrors.invalidFilter(`Operator 'pr' takes no value, but ${describe(extra)} follows it`);
      }
      return { kind: 'present', path };
    }
    if (next.kind === 'compare') return { kind: 'compare', path, op: next.op, value: this.parseValue(next) };
    if (next.kind === 'path') {
      throw scimErrors.invalidFilter(`Unknown operator '${shorten(next.text)}' at position ${next.pos}`);
    }
    if (next.kind === 'end') {
      throw scimErrors.invalidFilter(
        `Expected an operator after '${shorten(pathToken.text)}' at position ${next.pos} but the filter ended`,
      );
    }
    throw scimErrors.invalidFilter(
      `Expected an operator after '${shorten(pathToken.text)}' but found ${describe(next)}`,
    );
  }

  private parseValuePath(path: AttrPath, pathToken: Token, open: Token, inBrackets: boolean): Filter {
    if (inBrackets) {
      throw scimErrors.invalidFilter(
        `Nested '[' at position ${open.pos}: value filters cannot contain value filters`,
      );
    }
    if (path.subAttribute !== undefined) {
      throw scimErrors.invalidFilter(
        `'[' at position ${open.pos} must follow an attribute, not the sub-attribute '${shorten(pathToken.text)}'`,
      );
    }
    const inner = this.parseOr(true);
    const close = this.advance();
    if (close.kind !== ']') {
      throw scimErrors.invalidFilter(
        `Expected ']' to close the '[' at position ${open.pos} but found ${describe(close)}`,
      );
    }
    const after = this.peek();
    if (after.kind === '.') {
      // `emails[type eq "work"].value` is a PATCH path (RFC 7644 §3.5.2), not a filter.
      throw scimErrors.invalidFilter(
        `Unexpected '.' at position ${after.pos}: a sub-attribute after ']' is allowed in PATCH paths only`,
      );
    }
    return { kind: 'valuePath', path, filter: inner };
  }

  private parsePath(token: Token, inBrackets: boolean): AttrPath {
    const path = parseAttrPath(token.text);
    if (path === undefined || path.attribute === '') {
      throw scimErrors.invalidFilter(
        `Invalid attribute path '${shorten(token.text)}' at position ${token.pos}`,
      );
    }
    if (inBrackets && (path.schema !== undefined || path.subAttribute !== undefined)) {
      throw scimErrors.invalidFilter(
        `Invalid attribute '${formatAttrPath(path)}' at position ${token.pos}: inside '[...]' only plain sub-attribute names are allowed`,
      );
    }
    return path;
  }

  private parseValue(operator: Token & { kind: 'compare' }): FilterValue {
    const token = this.advance();
    if (token.kind !== 'value') {
      throw scimErrors.invalidFilter(
        `Expected a value after '${operator.text}' but found ${describe(token)}`,
      );
    }
    const { value } = token;
    const op = operator.op;
    // RFC 7644 §3.4.2.2 Table 3: ordering is undefined for booleans; substring operators compare strings.
    if (ORDERING.has(op) && (typeof value === 'boolean' || value === null)) {
      throw scimErrors.invalidFilter(
        `Operator '${op}' at position ${operator.pos} cannot compare with ${shorten(token.text)}`,
      );
    }
    if (SUBSTRING.has(op) && typeof value !== 'string') {
      throw scimErrors.invalidFilter(
        `Operator '${op}' at position ${operator.pos} needs a string value, not ${shorten(token.text)}`,
      );
    }
    return value;
  }

  private peek(): Token {
    return this.tokens[this.index] ?? this.endToken();
  }

  private advance(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index++;
    return token;
  }

  private endToken(): Token {
    const last = this.tokens[this.tokens.length - 1];
    return { kind: 'end', text: '', pos: last?.pos ?? 0 };
  }
}

function describe(token: Token): string {
  if (token.kind === 'end') return `end of filter at position ${token.pos}`;
  return `'${shorten(token.text)}' at position ${token.pos}`;
}

/** Keeps error details readable when the offending token is a long string literal. */
function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
