import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { CENSOR, CENSORED_PATHS, censorLogLine } from '../../../src/ops/log-censor.js';
import { createLogger } from '../../../src/ops/logger.js';

/** `CENSORED_PATHS` in pino's `redact` syntax: what the logger was configured with before. */
const PINO_PATHS = CENSORED_PATHS.map((path) =>
  path
    .map((key, i) => (/^[A-Za-z_*][\w]*$/.test(key) ? `${i === 0 ? '' : '.'}${key}` : `["${key}"]`))
    .join(''),
);

/** The lines a logger writes, without the time (which differs between two loggers). */
function capture(build: (stream: { write(line: string): void }) => pino.Logger): {
  log: pino.Logger;
  lines: string[];
} {
  const lines: string[] = [];
  const log = build({ write: (line) => void lines.push(line.replace(/"time":\d+,/, '')) });
  return { log, lines };
}

const withPinoRedact = () =>
  capture((stream) => pino({ base: undefined, redact: { paths: PINO_PATHS, censor: CENSOR } }, stream));
const withCensor = () =>
  capture((stream) => pino({ base: undefined, formatters: { log: censorLogLine } }, stream));

/** Keys a random line is built from: every name on a censored path, and others. */
const KEYS = [
  ...new Set(CENSORED_PATHS.flat().filter((k) => k !== '*')),
  'user',
  'detail',
  'status',
  'call',
  'body',
];
const key = fc.constantFrom(...KEYS);
// Objects come only from `obj` below, with keys from KEYS: pino's redaction copies the objects it
// walks by assignment, which drops an own `__proto__` key that censorLogLine keeps.
const scalar = fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null));
const jsonValue = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }));
const line = fc.letrec<{ obj: Record<string, unknown>; value: unknown }>((tie) => ({
  obj: fc.dictionary(key, tie('value'), { maxKeys: 6 }),
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, jsonValue, tie('obj')),
})).obj;

describe('censorLogLine', () => {
  it('writes the same lines as pino with its redact option, on fixed and random lines', () => {
    const fixed: Record<string, unknown>[] = [
      {
        req: { method: 'GET', headers: { authorization: 'Bearer s3cret', 'x-api-key': 'k', accept: '*/*' } },
      },
      { headers: { cookie: 'c', 'proxy-authorization': 'p', 'x-redmine-api-key': 'r', host: 'h' } },
      { authorization: 'Basic abc', password: 'pw', token: 't', apiKey: 'a', other: 'kept' },
      {
        upstream: { apiKey: 'a', api_key: 'b', clientSecret: 'c', secret: 'd', passwordHash: 'e', url: 'u' },
      },
      { deep: { nested: { token: 'kept: only one level down is censored' } } },
      { list: [{ token: 'kept: arrays are not walked' }] },
      { user: 'no credential at all', status: 201 },
    ];
    const before = withPinoRedact();
    const after = withCensor();
    for (const l of fixed) {
      before.log.info(l, 'm');
      after.log.info(l, 'm');
    }
    expect(after.lines).toEqual(before.lines);
    expect(after.lines.join('\n')).not.toMatch(/s3cret|"pw"|Basic abc|"clientSecret":"c"/);

    fc.assert(
      fc.property(line, (l) => {
        const a = withPinoRedact();
        const b = withCensor();
        a.log.info(structuredClone(l), 'm');
        b.log.info(structuredClone(l), 'm');
        expect(b.lines).toEqual(a.lines);
      }),
      { numRuns: 500, endOnFailure: true },
    );
  });

  it('changes nothing it is given, and returns a line without credentials as it is', () => {
    const headers = { authorization: 'Bearer s3cret', accept: 'application/json' };
    const line = { req: { headers }, call: { token: 't', path: '/x' }, plain: { a: 1 } };
    const copy = structuredClone(line);
    const censored = censorLogLine(line);
    expect(line).toEqual(copy);
    expect(censored).toEqual({
      req: { headers: { authorization: CENSOR, accept: 'application/json' } },
      call: { token: CENSOR, path: '/x' },
      plain: { a: 1 },
    });
    expect(censored.plain).toBe(line.plain);

    const clean = { user: 'u1', detail: { status: 404 } };
    expect(censorLogLine(clean)).toBe(clean);
  });

  it('censors an error’s own fields and still writes it as an error', () => {
    const error = Object.assign(new TypeError('refused'), { token: 'tok-s3cret', code: 'E_AUTH' });
    const after = withCensor();
    after.log.error({ err: error }, 'failed');
    after.log.error(error);
    for (const text of after.lines) {
      const written = JSON.parse(text) as { err: Record<string, unknown> };
      expect(written.err).toMatchObject({
        type: 'TypeError',
        message: 'refused',
        code: 'E_AUTH',
        token: CENSOR,
      });
      expect(written.err.stack).toContain('TypeError: refused');
    }
    expect(error.token).toBe('tok-s3cret');
  });

  it('is what the sidecar’s logger uses', () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (l: string) => void lines.push(l) });
    log.info({ headers: { 'x-api-key': 'k3y' }, upstream: { password: 'pw' } }, 'calling the app');
    expect(lines.join('')).not.toMatch(/k3y|"pw"/);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      headers: { 'x-api-key': CENSOR },
      upstream: { password: CENSOR },
    });
  });
});
