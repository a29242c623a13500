import { describe, expect, it } from 'vitest';
import { compileExpression } from '../../../src/mapping/expression.js';
import { randomSecret, SECRET_ALPHABET } from '../../../src/mapping/random-secret.js';

describe('randomSecret', () => {
  it('gives 24 characters of letters and digits without look-alikes by default', () => {
    const secret = randomSecret();
    expect(secret).toHaveLength(24);
    expect(secret).toMatch(/^[A-Za-z0-9]+$/);
    for (const char of secret) expect(SECRET_ALPHABET).toContain(char);
    for (const lookAlike of ['0', 'O', '1', 'l', 'I']) expect(SECRET_ALPHABET).not.toContain(lookAlike);
  });

  it('gives distinct values', () => {
    const values = new Set(Array.from({ length: 200 }, () => randomSecret(16)));
    expect(values.size).toBe(200);
  });

  it('takes a length and an alphabet', () => {
    expect(randomSecret(40)).toHaveLength(40);
    expect(randomSecret(12, 'ab')).toMatch(/^[ab]{12}$/);
  });

  it('refuses lengths and alphabets that make weak or no secrets', () => {
    expect(() => randomSecret(0)).toThrow(/length/);
    expect(() => randomSecret(1.5)).toThrow(/length/);
    expect(() => randomSecret(10_000)).toThrow(/length/);
    expect(() => randomSecret(8, 'a')).toThrow(/alphabet/);
    expect(() => randomSecret(8, 'aab')).toThrow(/alphabet/);
  });
});

describe('$randomSecret in mapping expressions', () => {
  it('works where the fast evaluator handles the rest of the expression', async () => {
    // `{ "a": x }` alone is in the fast subset; the function call sends the whole expression to JSONata.
    const expression = compileExpression('{ "name": name, "password": $randomSecret() }');
    const first = (await expression.evaluate({ name: 'x' })) as { name: string; password: string };
    const second = (await expression.evaluate({ name: 'x' })) as { password: string };
    expect(first.name).toBe('x');
    expect(first.password).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(second.password).not.toBe(first.password);
  });

  it('takes the length and alphabet as arguments', async () => {
    expect(await compileExpression('$randomSecret(8)').evaluate({})).toMatch(/^[A-Za-z0-9]{8}$/);
    expect(await compileExpression('$randomSecret(6, "xy")').evaluate({})).toMatch(/^[xy]{6}$/);
  });

  it('fails like other JSONata errors on a bad length', async () => {
    await expect(compileExpression('$randomSecret(0)').evaluate({})).rejects.toThrow(/length/);
  });
});
