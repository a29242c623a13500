/**
 * A synchronous evaluator for the part of JSONata that mappings mostly use: paths, filters and
 * indexes, object and array constructors, `&`, comparisons, `and`/`or`, `?:`, literals, `$`,
 * bound variables and a few pure built-in functions.
 *
 * Why: JSONata evaluates asynchronously, with one promise per syntax node. A `toScim` of a dozen
 * fields costs tens of microseconds of promise bookkeeping, a third of a simple SCIM read. These
 * expressions are pure, so they can be run to completion at once.
 *
 * How it stays faithful: every node follows JSONata's own evaluation code step by step (its
 * sequence flattening and singleton rules included), and anything it does not reproduce exactly
 * is handed back to JSONata. Syntax outside the subset is refused when the expression is
 * compiled; values outside it (a type JSONata would reject or coerce in a way not reproduced
 * here) abandon the evaluation by throwing {@link OUTSIDE_SUBSET}, and JSONata evaluates the
 * expression from the start. Expressions have no side effects, so starting again is safe.
 * `test/unit/connector/jsonata-subset.test.ts` compares both evaluators on generated expressions
 * and inputs.
 */

/** Thrown when an evaluation meets a value outside the subset; the caller asks JSONata instead. */
export const OUTSIDE_SUBSET: unique symbol = Symbol('outside the JSONata subset');

export type SubsetEvaluator = (
  input: unknown,
  bindings: Readonly<Record<string, unknown>> | undefined,
) => unknown;

/** Compiles a JSONata syntax tree, or returns undefined when it uses syntax outside the subset. */
export function compileSubset(ast: unknown): SubsetEvaluator | undefined {
  let node: Evaluate;
  try {
    node = compileNode(ast);
  } catch (error) {
    if (error === OUTSIDE_SUBSET) return undefined;
    throw error;
  }
  return (input, bindings) => {
    // JSONata wraps a top-level array input in a sequence marked `outerWrapper`; not reproduced.
    if (Array.isArray(input)) throw OUTSIDE_SUBSET;
    return node(input, { root: input, bindings });
  };
}

interface Scope {
  root: unknown;
  bindings: Readonly<Record<string, unknown>> | undefined;
  /** Variables bound with `:=` in the innermost block, then its enclosing blocks. */
  frame?: Frame;
}

interface Frame {
  values: Map<string, unknown>;
  parent: Frame | undefined;
}

type Evaluate = (input: unknown, scope: Scope) => unknown;

type Node = Record<string, unknown>;

/** JSONata's sequences are arrays it marks; a result sequence of one item is unwrapped. */
const SEQUENCE: unique symbol = Symbol('sequence');
type Sequence = unknown[] & { [SEQUENCE]?: true };

function sequence(...items: unknown[]): Sequence {
  const out: Sequence = items;
  out[SEQUENCE] = true;
  return out;
}

function isSequence(value: unknown): value is Sequence {
  return Array.isArray(value) && (value as Sequence)[SEQUENCE] === true;
}

function outside(): never {
  throw OUTSIDE_SUBSET;
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Refuses nodes carrying any annotation the subset does not evaluate (focus, tuple, group, sort…). */
function expectKeys(node: Node, allowed: readonly string[]): void {
  for (const [key, value] of Object.entries(node)) {
    // JSONata leaves some keys present but undefined (`name` on function calls).
    if (value !== undefined && !allowed.includes(key)) outside();
  }
}

const COMMON_KEYS = ['type', 'value', 'position', 'predicate'] as const;

/** evaluate(): the node itself, then its predicates, then the singleton rule. */
function compileNode(ast: unknown): Evaluate {
  if (!isNode(ast)) outside();
  const inner = compileInner(ast);
  const predicates = compilePredicates(ast.predicate);
  if (predicates.length === 0) return (input, scope) => unwrap(inner(input, scope));
  return (input, scope) => {
    let result = inner(input, scope);
    for (const predicate of predicates) result = applyFilter(predicate, result, scope);
    return unwrap(result);
  };
}

function unwrap(result: unknown): unknown {
  if (isSequence(result)) {
    if (result.length === 0) return undefined;
    if (result.length === 1) return result[0];
  }
  return result;
}

type Predicate = { index: number } | { test: Evaluate };

function compilePredicates(list: unknown): Predicate[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) outside();
  return list.map((stage: unknown) => {
    if (!isNode(stage) || stage.type !== 'filter') outside();
    expectKeys(stage, ['type', 'expr', 'position']);
    const expr = stage.expr;
    if (isNode(expr) && expr.type === 'number' && expr.predicate === undefined) {
      if (typeof expr.value !== 'number') outside();
      return { index: Math.floor(expr.value) };
    }
    return { test: compileNode(expr) };
  });
}

function compileInner(node: Node): Evaluate {
  switch (node.type) {
    case 'path':
      return compilePath(node);
    case 'name':
      return compileName(node);
    case 'string':
    case 'number':
    case 'value':
      return compileLiteral(node);
    case 'variable':
      return compileVariable(node);
    case 'binary':
      return compileBinary(node);
    case 'unary':
      return compileUnary(node);
    case 'condition':
      return compileCondition(node);
    case 'function':
      return compileFunction(node);
    case 'block':
      return compileBlock(node);
    case 'bind':
      return compileBind(node);
    default:
      return outside();
  }
}

function compileLiteral(node: Node): Evaluate {
  expectKeys(node, COMMON_KEYS);
  const value = node.value;
  return () => value;
}

function compileName(node: Node): Evaluate {
  // `stages` are the filters of a path step; the step evaluation applies them.
  expectKeys(node, [...COMMON_KEYS, 'stages']);
  const key = node.value;
  if (typeof key !== 'string') outside();
  return (input) => lookup(input, key);
}

/** JSONata's `lookup`: a field of an object, or of every object in an array (flattened). */
function lookup(input: unknown, key: string): unknown {
  if (Array.isArray(input)) {
    const result = sequence();
    for (const item of input) {
      const value = lookup(item, key);
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const each of value) result.push(each);
      else result.push(value);
    }
    return result;
  }
  if (input !== null && typeof input === 'object' && Object.hasOwn(input, key) && !isFunction(input)) {
    return (input as Record<string, unknown>)[key];
  }
  return undefined;
}

/** JSONata treats objects marked as its own functions specially; JSON input never has them. */
function isFunction(value: object): boolean {
  const marked = value as { _jsonata_function?: unknown; _jsonata_lambda?: unknown };
  return marked._jsonata_function === true || marked._jsonata_lambda === true;
}

function compileVariable(node: Node): Evaluate {
  expectKeys(node, [...COMMON_KEYS, 'stages']);
  const name = node.value;
  if (typeof name !== 'string') outside();
  if (name === '') return (input) => input;
  if (name === '$') return (_input, scope) => scope.root;
  return (_input, scope) => {
    for (let frame = scope.frame; frame; frame = frame.parent) {
      // Bound to undefined still hides an outer binding of the same name.
      if (frame.values.has(name)) return frame.values.get(name);
    }
    // Unbound names may be JSONata's own functions used as values: not in the subset.
    return scope.bindings && Object.hasOwn(scope.bindings, name) ? scope.bindings[name] : outside();
  };
}

/** `( … ; … )`: each expression in turn in a new frame for its variables; the last one's value. */
function compileBlock(node: Node): Evaluate {
  expectKeys(node, [...COMMON_KEYS, 'expressions', 'stages']);
  if (!Array.isArray(node.expressions)) outside();
  const expressions = node.expressions.map((expression: unknown) => compileNode(expression));
  return (input, scope) => {
    const inner: Scope = { ...scope, frame: { values: new Map(), parent: scope.frame } };
    let result: unknown;
    for (const expression of expressions) result = expression(input, inner);
    return result;
  };
}

/** `$name := value`, inside a block (a top-level binding would go to JSONata's own frame). */
function compileBind(node: Node): Evaluate {
  expectKeys(node, [...COMMON_KEYS, 'lhs', 'rhs']);
  const target = node.lhs;
  if (!isNode(target) || target.type !== 'variable' || typeof target.value !== 'string') outside();
  const name = target.value;
  // Rebinding a built-in's name would change what a later call means.
  if (name === '' || name === '$' || Object.hasOwn(BUILT_INS, name)) outside();
  const value = compileNode(node.rhs);
  return (input, scope) => {
    if (!scope.frame) outside();
    const result = value(input, scope);
    scope.frame.values.set(name, result);
    return result;
  };
}

interface Step {
  evaluate: Evaluate;
  stages: Predicate[];
}

function compilePath(node: Node): Evaluate {
  expectKeys(node, ['type', 'steps']);
  if (!Array.isArray(node.steps) || node.steps.length === 0) outside();
  const steps: Step[] = node.steps.map((step: unknown) => {
    if (!isNode(step)) outside();
    // An array constructor as the first step (`consarray`) is evaluated differently.
    if (step.consarray !== undefined) outside();
    return { evaluate: compileNode(step), stages: compilePredicates(step.stages) };
  });
  const first = node.steps[0] as Node;
  const absolute = first.type === 'variable';
  const general: Evaluate = (input, scope) => {
    let current: unknown[] = Array.isArray(input) && !absolute ? input : sequence(input);
    let result: unknown[] | undefined;
    for (let i = 0; i < steps.length; i++) {
      result = evaluateStep(steps[i] as Step, current, scope, i === steps.length - 1);
      if (result.length === 0) break;
      current = result;
    }
    return result;
  };
  const names = plainNames(node.steps as Node[]);
  return names ? fieldChain(names, general) : general;
}

/** `a.b.c` with no filters: the field names, for {@link fieldChain}. */
function plainNames(steps: Node[]): string[] | undefined {
  const names: string[] = [];
  for (const step of steps) {
    if (step.type !== 'name' || typeof step.value !== 'string' || step.stages !== undefined) return undefined;
    if (step.predicate !== undefined) return undefined;
    names.push(step.value);
  }
  return names;
}

/**
 * The commonest path, field names through objects, without building sequences: what the general
 * evaluation gives when no array is met before the last field (a last-field array is returned
 * as is, as JSONata does). On an array earlier on, the general evaluation takes over.
 */
function fieldChain(names: string[], general: Evaluate): Evaluate {
  return (input, scope) => {
    let current = input;
    for (const name of names) {
      if (Array.isArray(current)) return general(input, scope);
      if (current === null || typeof current !== 'object') return undefined;
      if (!Object.hasOwn(current, name) || isFunction(current)) return undefined;
      current = (current as Record<string, unknown>)[name];
    }
    return current;
  };
}

function evaluateStep(step: Step, input: unknown[], scope: Scope, lastStep: boolean): unknown[] {
  const results: unknown[] = [];
  for (const item of input) {
    let value = step.evaluate(item, scope);
    for (const stage of step.stages) value = applyFilter(stage, value, scope);
    if (value !== undefined) results.push(value);
  }
  if (lastStep && results.length === 1 && Array.isArray(results[0]) && !isSequence(results[0])) {
    return results[0];
  }
  const flattened = sequence();
  for (const value of results) {
    if (Array.isArray(value)) for (const each of value) flattened.push(each);
    else flattened.push(value);
  }
  return flattened;
}

/** JSONata's evaluateFilter: `[n]` picks by position, `[expr]` keeps items where it holds. */
function applyFilter(predicate: Predicate, value: unknown, scope: Scope): unknown[] {
  const input: unknown[] = Array.isArray(value) ? value : sequence(value);
  if ('index' in predicate) {
    const index = predicate.index < 0 ? input.length + predicate.index : predicate.index;
    const item = input[index];
    if (item === undefined) return sequence();
    return Array.isArray(item) ? item : sequence(item);
  }
  const results = sequence();
  for (let index = 0; index < input.length; index++) {
    const item = input[index];
    let test = predicate.test(item, scope);
    if (isNumeric(test)) test = [test];
    if (isArrayOfNumbers(test)) {
      for (const position of test as number[]) {
        let at = Math.floor(position);
        if (at < 0) at = input.length + at;
        if (at === index) results.push(item);
      }
    } else if (toBoolean(test)) {
      results.push(item);
    }
  }
  return results;
}

function isNumeric(value: unknown): value is number {
  if (typeof value !== 'number' || Number.isNaN(value)) return false;
  // JSONata throws D1001 on infinities.
  if (!Number.isFinite(value)) outside();
  return true;
}

function isArrayOfNumbers(value: unknown): boolean {
  return Array.isArray(value) && value.every((item) => isNumeric(item));
}

/** JSONata's `$boolean` (undefined stays undefined). */
function toBoolean(value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    if (value.length === 1) return toBoolean(value[0]);
    return value.length > 1 && value.some((item) => toBoolean(item));
  }
  if (typeof value === 'string') return value.length > 0;
  if (isNumeric(value)) return value !== 0;
  if (typeof value === 'object' && value !== null) return !isFunction(value) && Object.keys(value).length > 0;
  return value === true;
}

function compileCondition(node: Node): Evaluate {
  expectKeys(node, ['type', 'position', 'condition', 'then', 'else', 'predicate']);
  const condition = compileNode(node.condition);
  const then = compileNode(node.then);
  const otherwise = node.else === undefined ? undefined : compileNode(node.else);
  return (input, scope) => {
    if (toBoolean(condition(input, scope))) return then(input, scope);
    return otherwise ? otherwise(input, scope) : undefined;
  };
}

function compileUnary(node: Node): Evaluate {
  switch (node.value) {
    case '-': {
      expectKeys(node, [...COMMON_KEYS, 'expression']);
      const operand = compileNode(node.expression);
      return (input, scope) => {
        const value = operand(input, scope);
        if (value === undefined) return undefined;
        return isNumeric(value) ? -value : outside();
      };
    }
    case '[':
      return compileArray(node);
    case '{':
      return compileObject(node);
    default:
      return outside();
  }
}

function compileArray(node: Node): Evaluate {
  expectKeys(node, [...COMMON_KEYS, 'expressions', 'stages']);
  if (!Array.isArray(node.expressions)) outside();
  const items = node.expressions.map((item: unknown) => ({
    evaluate: compileNode(item),
    // A nested array constructor is kept as one item; anything else is appended (flattened).
    nested: isNode(item) && item.value === '[',
  }));
  return (input, scope) => {
    const result: unknown[] = [];
    for (const item of items) {
      const value = item.evaluate(input, scope);
      if (value === undefined) continue;
      if (item.nested || !Array.isArray(value)) result.push(value);
      else for (const each of value) result.push(each);
    }
    return result;
  };
}

function compileObject(node: Node): Evaluate {
  expectKeys(node, [...COMMON_KEYS, 'lhs', 'stages']);
  if (!Array.isArray(node.lhs)) outside();
  const pairs = node.lhs.map((pair: unknown) => {
    if (!Array.isArray(pair) || pair.length !== 2) outside();
    return { key: compileNode(pair[0]), value: compileNode(pair[1]) };
  });
  const literalKeys = stringLiterals(node.lhs.map((pair: unknown) => (pair as unknown[])[0]));
  if (literalKeys) {
    // JSONata refuses two pairs with one key (D1009) when it evaluates them; let it.
    if (new Set(literalKeys).size !== literalKeys.length || literalKeys.some(isReservedKey)) outside();
    const values = pairs.map((pair) => pair.value);
    return (input, scope) => {
      if (Array.isArray(input)) outside();
      const result: Record<string, unknown> = Object.create(null);
      for (let i = 0; i < values.length; i++) {
        const value = (values[i] as Evaluate)(input, scope);
        if (value !== undefined) result[literalKeys[i] as string] = value;
      }
      return result;
    };
  }
  return (input, scope) => {
    // Over a sequence of several items the constructor groups them: not in the subset.
    if (Array.isArray(input)) outside();
    // Keys first, as JSONata does; a pair whose key is undefined is left out.
    const keys: Array<string | undefined> = [];
    for (const pair of pairs) {
      const key = pair.key(input, scope);
      // Non-string keys (T1003), reserved keys (D1013), two pairs giving one key (D1009).
      if (key !== undefined && typeof key !== 'string') outside();
      if (isReservedKey(key)) outside();
      if (key !== undefined && keys.includes(key)) outside();
      keys.push(key);
    }
    const result: Record<string, unknown> = Object.create(null);
    pairs.forEach((pair, i) => {
      const key = keys[i];
      if (key === undefined) return;
      const value = pair.value(input, scope);
      if (value !== undefined) result[key] = value;
    });
    return result;
  };
}

/** The keys when every one is a plain string literal (the usual `{ "login": userName }`). */
function stringLiterals(keys: unknown[]): string[] | undefined {
  const out: string[] = [];
  for (const key of keys) {
    if (!isNode(key) || key.type !== 'string' || typeof key.value !== 'string' || key.predicate !== undefined)
      return undefined;
    out.push(key.value);
  }
  return out;
}

/** Keys JSONata reserves for its own functions (D1013). */
function isReservedKey(key: unknown): boolean {
  return key === '_jsonata_lambda' || key === '_jsonata_function';
}

function compileBinary(node: Node): Evaluate {
  expectKeys(node, [...COMMON_KEYS, 'lhs', 'rhs']);
  const lhs = compileNode(node.lhs);
  const rhs = compileNode(node.rhs);
  switch (node.value) {
    case 'and':
      return (input, scope) =>
        (toBoolean(lhs(input, scope)) ?? false) && (toBoolean(rhs(input, scope)) ?? false);
    case 'or':
      return (input, scope) =>
        (toBoolean(lhs(input, scope)) ?? false) || (toBoolean(rhs(input, scope)) ?? false);
    case '&':
      return (input, scope) => {
        const left = lhs(input, scope);
        const right = rhs(input, scope);
        return (left === undefined ? '' : toText(left)) + (right === undefined ? '' : toText(right));
      };
    case '=':
    case '!=': {
      const equal = node.value === '=';
      return (input, scope) => {
        const left = lhs(input, scope);
        const right = rhs(input, scope);
        if (left === undefined || right === undefined) return false;
        return isDeepEqual(left, right) === equal;
      };
    }
    case '<':
    case '<=':
    case '>':
    case '>=':
      return compileComparison(node.value, lhs, rhs);
    case '+':
    case '-':
    case '*':
    case '/':
    case '%':
      return compileArithmetic(node.value, lhs, rhs);
    default:
      return outside();
  }
}

function compileComparison(op: '<' | '<=' | '>' | '>=', lhs: Evaluate, rhs: Evaluate): Evaluate {
  return (input, scope) => {
    const left = lhs(input, scope);
    const right = rhs(input, scope);
    const comparable = (value: unknown) =>
      value === undefined || typeof value === 'string' || typeof value === 'number';
    if (!comparable(left) || !comparable(right)) outside();
    if (left === undefined || right === undefined) return undefined;
    if (typeof left !== typeof right) outside();
    const a = left as string | number;
    const b = right as string | number;
    if (op === '<') return a < b;
    if (op === '<=') return a <= b;
    if (op === '>') return a > b;
    return a >= b;
  };
}

function compileArithmetic(op: '+' | '-' | '*' | '/' | '%', lhs: Evaluate, rhs: Evaluate): Evaluate {
  return (input, scope) => {
    const left = lhs(input, scope);
    const right = rhs(input, scope);
    if ((left !== undefined && !isNumeric(left)) || (right !== undefined && !isNumeric(right))) outside();
    if (left === undefined || right === undefined) return undefined;
    const a = left as number;
    const b = right as number;
    if (op === '+') return a + b;
    if (op === '-') return a - b;
    if (op === '*') return a * b;
    if (op === '/') return a / b;
    return a % b;
  };
}

/** JSONata's isDeepEqual. */
function isDeepEqual(lhs: unknown, rhs: unknown): boolean {
  if (lhs === rhs) return true;
  if (typeof lhs !== 'object' || typeof rhs !== 'object' || lhs === null || rhs === null) return false;
  if (Array.isArray(lhs) && Array.isArray(rhs)) {
    return lhs.length === rhs.length && lhs.every((item, i) => isDeepEqual(item, rhs[i]));
  }
  const leftKeys = Object.getOwnPropertyNames(lhs).sort();
  const rightKeys = Object.getOwnPropertyNames(rhs).sort();
  if (leftKeys.length !== rightKeys.length) return false;
  if (leftKeys.some((key, i) => key !== rightKeys[i])) return false;
  return leftKeys.every((key) =>
    isDeepEqual((lhs as Record<string, unknown>)[key], (rhs as Record<string, unknown>)[key]),
  );
}

/** JSONata's `$string`: text as is, anything else as JSON with numbers to 15 significant digits. */
function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  // A number alone (a member's app id, most often) is what JSON.stringify below would write.
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) outside();
    return String(Number.isInteger(value) ? value : Number(value.toPrecision(15)));
  }
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item !== 'number') return item;
    // Infinity and NaN: JSONata's errors (D3001, D1001).
    if (!Number.isFinite(item)) outside();
    return Number.isInteger(item) ? item : Number(item.toPrecision(15));
  });
}

const DECIMAL = /^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$/;

function optionalString(value: unknown): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  return outside();
}

type BuiltIn = (args: unknown[]) => unknown;

/** Pure built-ins, each for exactly the argument count and types JSONata treats plainly. */
const BUILT_INS: Record<string, { arity: number; apply: BuiltIn; takesArrays?: true }> = {
  string: {
    arity: 1,
    takesArrays: true,
    apply: ([value]) => (value === undefined ? undefined : toText(value)),
  },
  number: {
    arity: 1,
    apply: ([value]) => {
      if (value === undefined || typeof value === 'number') return value;
      if (value === true) return 1;
      if (value === false) return 0;
      if (typeof value === 'string' && DECIMAL.test(value)) {
        const parsed = Number.parseFloat(value);
        if (Number.isFinite(parsed)) return parsed;
      }
      // Hexadecimal and other forms, and errors (D3030): JSONata's business.
      return outside();
    },
  },
  boolean: { arity: 1, takesArrays: true, apply: ([value]) => toBoolean(value) },
  not: { arity: 1, apply: ([value]) => (value === undefined ? undefined : !toBoolean(value)) },
  exists: { arity: 1, takesArrays: true, apply: ([value]) => value !== undefined },
  lowercase: { arity: 1, apply: ([value]) => optionalString(value)?.toLowerCase() },
  uppercase: { arity: 1, apply: ([value]) => optionalString(value)?.toUpperCase() },
  substringBefore: {
    arity: 2,
    apply: ([text, chars]) => {
      const value = optionalString(text);
      if (typeof chars !== 'string') outside();
      if (value === undefined) return undefined;
      const at = value.indexOf(chars);
      return at > -1 ? value.slice(0, at) : value;
    },
  },
  substringAfter: {
    arity: 2,
    apply: ([text, chars]) => {
      const value = optionalString(text);
      if (typeof chars !== 'string') outside();
      if (value === undefined) return undefined;
      const at = value.indexOf(chars);
      return at > -1 ? value.slice(at + chars.length) : value;
    },
  },
};

function compileFunction(node: Node): Evaluate {
  expectKeys(node, [...COMMON_KEYS, 'arguments', 'procedure', 'stages']);
  const procedure = node.procedure;
  if (!isNode(procedure) || procedure.type !== 'variable' || typeof procedure.value !== 'string') outside();
  expectKeys(procedure, ['type', 'value', 'position']);
  const name = procedure.value;
  const builtIn = Object.hasOwn(BUILT_INS, name) ? BUILT_INS[name] : undefined;
  if (!builtIn || !Array.isArray(node.arguments) || node.arguments.length !== builtIn.arity) outside();
  const args = node.arguments.map((arg: unknown) => compileNode(arg));
  return (input, scope) => {
    // A binding of the same name would shadow the built-in.
    if (scope.bindings && Object.hasOwn(scope.bindings, name)) outside();
    const values = args.map((arg) => arg(input, scope));
    // A sequence of several values where one is expected is a type error in JSONata.
    if (!builtIn.takesArrays && values.some((value) => Array.isArray(value))) outside();
    return builtIn.apply(values);
  };
}
