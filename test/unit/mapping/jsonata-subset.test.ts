import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileExpression } from '../../../src/mapping/expression.js';
import { compileSubset, OUTSIDE_SUBSET } from '../../../src/mapping/jsonata-subset.js';

/** Plain JSON-like copy: drops JSONata's and the subset's sequence marks and null prototypes. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = plain(item);
    return out;
  }
  return value;
}

type Outcome = { kind: 'value'; value: unknown } | { kind: 'error' } | { kind: 'outside' };

async function byJsonata(
  source: string,
  input: unknown,
  bindings?: Record<string, unknown>,
): Promise<Outcome> {
  try {
    return { kind: 'value', value: plain(await jsonata(source).evaluate(input, bindings)) };
  } catch {
    return { kind: 'error' };
  }
}

function bySubset(source: string, input: unknown, bindings?: Record<string, unknown>): Outcome | undefined {
  const evaluate = compileSubset(jsonata(source).ast());
  if (!evaluate) return undefined;
  try {
    return { kind: 'value', value: plain(evaluate(input, bindings)) };
  } catch (error) {
    if (error === OUTSIDE_SUBSET) return { kind: 'outside' };
    return { kind: 'error' };
  }
}

/**
 * The subset may decline (syntax at compile time, a value at run time); when it answers, the
 * answer must be JSONata's, and where JSONata fails, the subset must not answer at all.
 */
async function expectSameAsJsonata(
  source: string,
  input: unknown,
  bindings?: Record<string, unknown>,
): Promise<Outcome | undefined> {
  const subset = bySubset(source, input, bindings);
  if (!subset || subset.kind === 'outside') return subset;
  const reference = await byJsonata(source, input, bindings);
  if (reference.kind === 'error') {
    expect.fail(
      `JSONata fails on ${source} with ${JSON.stringify(input)}, the subset answered ${JSON.stringify(subset)}`,
    );
  }
  expect(subset, `${source} on ${JSON.stringify(input)}`).toEqual(reference);
  return subset;
}

const ENTRA_USER = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName: 'ada@contoso.com',
  active: true,
  displayName: 'Ada Lovelace',
  name: { givenName: 'Ada', familyName: 'Lovelace', formatted: 'Ada Lovelace' },
  emails: [
    { value: 'ada@contoso.com', type: 'work', primary: true },
    { value: 'ada@home.example', type: 'home' },
  ],
  phoneNumbers: [{ value: '+1 555 0100', type: 'mobile' }],
  title: 'Analyst',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': {
    department: 'Engines',
    employeeNumber: '7',
  },
};

const INPUTS: unknown[] = [
  ENTRA_USER,
  { userName: 'bob', displayName: 'Bob', emails: [{ value: 'b@x', primary: false }], active: false },
  { userName: 'carol', name: {}, emails: [], phoneNumbers: [{ value: '1' }, { value: '2', type: 'work' }] },
  { displayName: 'Team', members: [{ value: '17' }, { value: '0x1F' }, { value: 'abc' }] },
  { id: 7, login: 'ada', first_name: 'Ada', last_name: null, email: '', enabled: true, department: 'R&D' },
  { id: 8, name: 'Ops', member_ids: [1, 2, 3], users: [{ id: 1, name: 'A' }, { id: 2 }] },
  { account: { id: 3, login: 'x' }, items: [{ id: 1 }, { id: 2 }], total: 2, offset: 0 },
  { a: [[1, 2], [3]], b: [{ c: [1, [2, 3]] }, { c: 4 }], d: { e: [null, true, 'x'] } },
  { value: 1.5, type: 'work', primary: 'true', n: -3, s: '  spaced  out  ', big: 1e21 },
  {},
  null,
  'text',
  42,
];

/** Every expression in the shipped mappings and the recipes in the docs. */
function shippedExpressions(): string[] {
  const found = new Set<string>();
  const visit = (value: unknown, key: string): void => {
    if (typeof value === 'string') {
      if (['toScim', 'fromScim', 'id', 'body', 'response', 'items', 'total', 'when', 'detail'].includes(key))
        found.add(value);
      return;
    }
    if (Array.isArray(value)) for (const item of value) visit(item, key);
    else if (typeof value === 'object' && value !== null)
      for (const [k, v] of Object.entries(value)) visit(v, k === 'query' ? 'body' : k);
  };
  const files = [
    ...readdirSync('mappings').map((file) => join('mappings', file)),
    ...readdirSync('docs/recipes')
      .filter((file) => file.endsWith('.yaml'))
      .map((file) => join('docs/recipes', file)),
  ];
  for (const file of files.filter((f) => f.endsWith('.yaml'))) visit(parse(readFileSync(file, 'utf8')), '');
  return [...found];
}

describe('the synchronous JSONata subset', () => {
  it('answers like JSONata for every expression in the shipped mappings', async () => {
    const expressions = shippedExpressions();
    expect(expressions.length).toBeGreaterThan(20);
    let answered = 0;
    for (const source of expressions) {
      for (const input of INPUTS) {
        const outcome = await expectSameAsJsonata(source, input, { status: 200, headers: {} });
        if (outcome?.kind === 'value') answered++;
      }
    }
    expect(answered).toBeGreaterThan(100);
  });

  it('evaluates the demo mapping without JSONata on the records the demo app holds', async () => {
    const mapping = parse(readFileSync('mappings/demo.yaml', 'utf8')) as {
      resources: Record<string, { toScim: string; fromScim: string }>;
    };
    const account = {
      id: 7,
      login: 'ada',
      first_name: 'Ada',
      last_name: 'Lovelace',
      email: 'ada@contoso.com',
      phone: null,
      title: 'Analyst',
      enabled: true,
      department: 'Engines',
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-02T00:00:00.000Z',
    };
    const cases: Array<[string, unknown]> = [
      [mapping.resources.User?.toScim ?? '', account],
      [mapping.resources.User?.fromScim ?? '', ENTRA_USER],
      [mapping.resources.Group?.toScim ?? '', { id: 3, name: 'Ops', member_ids: [1, 2] }],
      [
        mapping.resources.Group?.fromScim ?? '',
        { displayName: 'Ops', members: [{ value: '1' }, { value: '2' }] },
      ],
    ];
    for (const [source, input] of cases) {
      const outcome = await expectSameAsJsonata(source, input);
      expect(outcome?.kind, source).toBe('value');
    }
  });

  it('declines syntax it does not reproduce, at compile time', () => {
    for (const source of [
      '$map(a, function($v) { $v })',
      '($f := function($v) { $v }; $f(a))',
      'a.*',
      '**.a',
      'a^(b)',
      'a{b: c}',
      '[a, b].c',
      'a[]',
      'a#$i',
      'a@$x',
      'a.b.%',
      '$count(a)',
      '$string()',
      '[1..3]',
      'a in b',
      '/x/',
      'a ~> $string()',
      '$sum(a)',
    ]) {
      expect(compileSubset(jsonata(source).ast()), source).toBeUndefined();
    }
  });

  it('declines values it does not reproduce, at run time', () => {
    const outside = (source: string, input: unknown, bindings?: Record<string, unknown>) =>
      expect(bySubset(source, input, bindings), source).toEqual({ kind: 'outside' });
    outside('a', [{ a: 1 }]); // a top-level array input is wrapped by JSONata
    outside('$number(a)', { a: '0x10' });
    outside('$number(a)', { a: null });
    outside('$string(a)', { a: Number.POSITIVE_INFINITY });
    outside('$lowercase(a)', { a: 5 });
    outside('a < b', { a: 1, b: 'x' });
    outside('a + b', { a: '1', b: 2 });
    outside('{ a: 1, "x": 2 }', { a: 'x' });
    outside('$string(a)', { a: 1 }, { string: () => 'shadowed' });
    outside('$unbound', {});
    outside('$x := 1', {}); // a binding outside any block goes to JSONata's own frame
  });

  it('writes numbers as text as JSONata does', async () => {
    for (const a of [
      0,
      -0,
      7,
      -42,
      12345678901234,
      2 ** 53 + 2,
      1e21,
      1.5,
      0.1 + 0.2,
      1 / 3,
      -2.5e-7,
      1e-7,
    ]) {
      const outcome = await expectSameAsJsonata('$string(a)', { a });
      expect(outcome?.kind, String(a)).toBe('value');
    }
    const members = await expectSameAsJsonata('[ids.{ "value": $string($) }]', { ids: [1, 20, 0.5] });
    expect(members).toEqual({ kind: 'value', value: [{ value: '1' }, { value: '20' }, { value: '0.5' }] });
    expect(bySubset('$string(a)', { a: Number.NaN })).toEqual({ kind: 'outside' });
  });

  it('reads bindings as JSONata does', async () => {
    const outcome = await expectSameAsJsonata(
      '{ "code": $status, "h": $headers.etag }',
      {},
      {
        status: 201,
        headers: { etag: 'W/"1"' },
      },
    );
    expect(outcome).toEqual({ kind: 'value', value: { code: 201, h: 'W/"1"' } });
  });

  it('is what compileExpression uses, with the same answers as before', async () => {
    const expression = compileExpression('{ "n": [a.b, "x"][0], "m": [c.{ "v": $string($) }] }');
    await expect(expression.evaluate({ a: { b: 2 }, c: [1, 2.5] })).resolves.toEqual({
      n: 2,
      m: [{ v: '1' }, { v: '2.5' }],
    });
    // Outside the subset, JSONata answers (and fails) as before.
    await expect(compileExpression('$number(a)').evaluate({ a: '0x10' })).resolves.toBe(16);
    await expect(compileExpression('$number(a)').evaluate({ a: 'abc' })).rejects.toMatchObject({
      code: 'D3030',
    });
  });

  describe('on generated expressions and inputs', () => {
    const names = ['a', 'b', 'c', 'value', 'type', 'primary'];
    const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom(null, true, false, 0, 1, -1, 2.5, '', 'x', 'work', '1', 'a b'),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom(...names), tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    const input = fc.dictionary(fc.constantFrom(...names), json, { maxKeys: 5 });

    const expression: fc.Arbitrary<string> = fc.letrec((tie) => ({
      expr: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom(...names),
        fc.constantFrom('"x"', '"work"', '0', '1', '-1', '2.5', 'true', 'false', 'null', '$', '$$'),
        fc.tuple(fc.constantFrom(...names), fc.constantFrom(...names)).map(([x, y]) => `${x}.${y}`),
        fc.tuple(tie('expr'), fc.constantFrom(...names)).map(([x, y]) => `(${x}).${y}`),
        fc.tuple(fc.constantFrom(...names), tie('expr')).map(([x, p]) => `${x}[${p}]`),
        fc.tuple(fc.constantFrom(...names), fc.integer({ min: -2, max: 2 })).map(([x, i]) => `${x}[${i}]`),
        fc
          .tuple(tie('expr'), fc.constantFrom('&', '=', '!=', 'and', 'or', '<', '>', '+', '*'), tie('expr'))
          .map(([l, op, r]) => `(${l} ${op} ${r})`),
        fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([c, t, e]) => `(${c} ? ${t} : ${e})`),
        fc.tuple(tie('expr'), tie('expr')).map(([c, t]) => `(${c} ? ${t})`),
        fc.array(tie('expr'), { maxLength: 3 }).map((items) => `[${items.join(', ')}]`),
        fc.array(tie('expr'), { minLength: 1, maxLength: 3 }).map((items) => `[${items.join(', ')}][0]`),
        fc
          .array(fc.tuple(fc.constantFrom(...names), tie('expr')), { maxLength: 3 })
          .map((pairs) => `{ ${pairs.map(([k, v]) => `"${k}": ${v}`).join(', ')} }`),
        fc.tuple(fc.constantFrom(...names), tie('expr')).map(([x, v]) => `${x}.{ "k": ${v} }`),
        fc
          .tuple(
            fc.constantFrom('$string', '$number', '$boolean', '$not', '$exists', '$lowercase', '$uppercase'),
            tie('expr'),
          )
          .map(([f, a]) => `${f}(${a})`),
        fc
          .tuple(fc.constantFrom('$substringBefore', '$substringAfter'), tie('expr'), tie('expr'))
          .map(([f, a, b]) => `${f}(${a}, ${b})`),
        fc
          .tuple(fc.constantFrom(...names), fc.constantFrom('$string', '$number'))
          .map(([x, f]) => `${x}.${f}($)`),
        tie('expr').map((x) => `-${x}`),
        tie('expr').map((x) => `(${x})`),
        fc
          .tuple(tie('expr'), fc.constantFrom(...names), tie('expr'))
          .map(([v, n, body]) => `($v := ${v}; $w := $v.${n}; [$v, $w, ${body}])`),
      ),
    })).expr;

    it('answers like JSONata or declines', async () => {
      let answered = 0;
      let runs = 0;
      const declined: string[] = [];
      await fc.assert(
        fc.asyncProperty(expression, input, async (source, data) => {
          runs++;
          try {
            jsonata(source);
          } catch {
            return; // not valid JSONata; the generator is loose on purpose
          }
          const outcome = await expectSameAsJsonata(source, data);
          if (outcome?.kind === 'value') answered++;
          else if ((await byJsonata(source, data)).kind === 'value') declined.push(source);
        }),
        { numRuns: 3000, seed: 20261123 },
      );
      // The subset must cover a real share of the generated expressions, or this proves little.
      // Of the expressions JSONata answers, the subset must answer most, or this proves little.
      expect(answered / (answered + declined.length), declined.slice(0, 10).join('\n')).toBeGreaterThan(0.8);
      expect(runs).toBe(3000);
    });
  });
});
