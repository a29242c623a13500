/**
 * The folders of src/ are layers, and the data flow of a SCIM request runs through them in one
 * direction: http → service → connector → the app, with the id map, locks and mapping vocabulary
 * below. This test fails when an import crosses a layer the wrong way, or when fastify is used
 * outside the HTTP edge.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Which of our folders each folder may import from (besides itself). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  lib: [],
  scim: [],
  demo: [],
  security: [],
  config: ['scim', 'lib', 'security'],
  mapping: ['config', 'scim', 'lib'],
  idmap: ['scim', 'lib'],
  locks: ['idmap', 'scim', 'lib'],
  connector: ['mapping', 'config', 'scim', 'lib', 'security'],
  service: ['connector', 'idmap', 'locks', 'scim', 'lib'],
  ops: ['config', 'connector', 'idmap', 'mapping', 'scim', 'lib', 'security'],
  http: ['service', 'connector', 'mapping', 'config', 'idmap', 'ops', 'scim', 'lib', 'security'],
  passthrough: ['http', 'config', 'scim', 'lib', 'security'],
  runtime: [
    'http',
    'service',
    'connector',
    'mapping',
    'config',
    'idmap',
    'locks',
    'ops',
    'scim',
    'lib',
    'security',
  ],
  admin: ['http', 'ops', 'service', 'connector', 'mapping', 'config', 'idmap', 'scim', 'lib', 'security'],
  cli: ['*'],
  '.': ['*'],
};

/** The service sees the app only through the gateway's interface and the request context. */
const SERVICE_MAY_USE_FROM_CONNECTOR = ['connector/gateway.ts', 'connector/request-context.ts'];

/** Where fastify and its plugins may be imported: the HTTP edge and the wiring. */
const FASTIFY_ALLOWED = ['http', 'passthrough', 'ops', 'admin', 'runtime', 'cli', '.'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s+'([^']+)'/g)) {
    if (match[1]) found.push(match[1]);
  }
  for (const match of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) if (match[1]) found.push(match[1]);
  return found;
}

/** `src/service/x.ts` → `service`; `src/app.ts` → `.`. */
function folderOf(path: string): string {
  const rel = relative(SRC, path);
  return rel.includes('/') ? (rel.split('/')[0] as string) : '.';
}

function violations(): string[] {
  const problems: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = folderOf(file);
    const allowed = MAY_IMPORT[from];
    const name = relative(SRC, file);
    if (!allowed) {
      problems.push(`${name}: the folder "${from}" has no place in the layering (add it to MAY_IMPORT)`);
      continue;
    }
    for (const specifier of importsOf(file)) {
      if (/^(fastify|@fastify\/)/.test(specifier) && !FASTIFY_ALLOWED.includes(from)) {
        problems.push(`${name} imports ${specifier}: fastify belongs to the HTTP edge`);
      }
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier).replace(/\.js$/, '.ts');
      const to = folderOf(target);
      if (to === from || allowed.includes('*')) continue;
      if (!allowed.includes(to)) {
        problems.push(`${name} imports ${relative(SRC, target)}: ${from}/ may not depend on ${to}/`);
      } else if (from === 'service' && to === 'connector') {
        const used = relative(SRC, target);
        if (!SERVICE_MAY_USE_FROM_CONNECTOR.includes(used))
          problems.push(`${name} imports ${used}: the service knows the gateway's interface only`);
      }
    }
  }
  return problems;
}

describe('layering of src/', () => {
  it('no import crosses a layer the wrong way, and fastify stays at the HTTP edge', () => {
    expect(violations()).toEqual([]);
  });

  it('catches a wrong-way import (the check itself works)', () => {
    const scimFiles = sourceFiles(join(SRC, 'scim'));
    expect(scimFiles.length).toBeGreaterThan(0);
    expect(MAY_IMPORT.scim).toEqual([]);
    expect(folderOf(join(SRC, 'service', 'x.ts'))).toBe('service');
    expect(importsOf(join(SRC, 'service', 'resource-service.ts'))).toContain('../connector/gateway.js');
  });
});
