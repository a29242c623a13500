import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isReloadable } from '../../../src/runtime/config-diff.js';
import { type ScimError, scimErrors } from '../../../src/scim/errors.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8');

describe('docs/errors.md', () => {
  const doc = read('docs/errors.md');
  /** `### \`scimErrors.name\`: 400 \`scimType\`` headings, with what they claim. */
  const documented = new Map(
    [...doc.matchAll(/^### `scimErrors\.(\w+)`: (\d{3})(?: `(\w+)`)?/gm)].map((m) => [
      m[1] as string,
      { status: Number(m[2]), scimType: m[3] },
    ]),
  );

  it('documents every constructor in scimErrors, and only those', () => {
    expect([...documented.keys()].sort()).toEqual(Object.keys(scimErrors).sort());
    // No mention of a constructor that does not exist, anywhere on the page.
    for (const [, name] of doc.matchAll(/scimErrors\.(\w+)/g))
      expect(Object.keys(scimErrors)).toContain(name);
  });

  it.each(Object.keys(scimErrors))('gives the status and scimType that scimErrors.%s produces', (name) => {
    const make = scimErrors[name as keyof typeof scimErrors] as (
      detail: string,
      retryAfter: number,
    ) => ScimError;
    const error = make('detail', 1);
    expect(documented.get(name)).toEqual({ status: error.status, scimType: error.scimType });
  });

  it('lists every transport failure code the connector translates', () => {
    const source = read('src/connector/transport-errors.ts');
    const codes = [...source.matchAll(/case '([A-Za-z_]+)':/g)].map((m) => m[1] as string);
    expect(codes.length).toBeGreaterThan(5);
    for (const code of codes) expect(doc).toContain(`\`${code}\``);
  });
});

describe('docs/configuration.md', () => {
  const doc = read('docs/configuration.md');
  const schema = JSON.parse(read('schemas/config.schema.json')) as Record<string, unknown>;

  /** Every setting path in the schema: `server.port`, `auth.bearer.tokens[].hash`. */
  function settings(node: unknown, prefix = ''): string[] {
    if (typeof node !== 'object' || node === null) return [];
    const record = node as { properties?: Record<string, unknown>; items?: unknown };
    const out: string[] = [];
    for (const [key, child] of Object.entries(record.properties ?? {})) {
      const path = prefix ? `${prefix}.${key}` : key;
      out.push(path, ...settings(child, path));
      const items = (child as { items?: unknown }).items;
      if (items) out.push(...settings(items, `${path}[]`));
    }
    return out;
  }

  /** Table rows: `| \`setting\` | type | default | reload | what it does |`. */
  const rows = new Map(
    // Columns may hold escaped pipes (`a` \| `b`).
    [...doc.matchAll(/^\| `([\w.[\]]+)` +\|(?:[^|\\]|\\.)*\|(?:[^|\\]|\\.)*\| (yes|restart) +\|/gm)].map(
      (m) => [m[1] as string, m[2] as string],
    ),
  );

  it('has a row for every setting in config.schema.json, and no row for a setting it lacks', () => {
    expect([...rows.keys()].sort()).toEqual(settings(schema).sort());
  });

  it('says for each setting whether a reload applies it, as the reload code does', () => {
    for (const [path, reload] of rows) {
      expect({ path, reload }).toEqual({ path, reload: isReloadable(path) ? 'yes' : 'restart' });
    }
  });
});
