import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../../src/config/load-config.js';
import { loadMapping } from '../../../src/mapping/load-mapping.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CONFIG_SCHEMA = join(ROOT, 'schemas', 'config.schema.json');
const MAPPING_SCHEMA = join(ROOT, 'schemas', 'mapping.schema.json');
const HEADER = /^# yaml-language-server: \$schema=(\S+)$/;

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** Every YAML file the project ships: the mappings, the examples and config.example.yaml. */
const SHIPPED = [
  join(ROOT, 'config.example.yaml'),
  ...yamlFilesUnder(join(ROOT, 'mappings')),
  ...yamlFilesUnder(join(ROOT, 'examples')),
];

/** What the first line says the file's schema is: a local schema file (absolute path) or a URL. */
function declaredSchema(file: string): string | undefined {
  const first = readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
  const target = HEADER.exec(first)?.[1];
  if (target === undefined) return undefined;
  return /^https?:\/\//.test(target) ? target : resolve(dirname(file), target);
}

/** What kind of file the content is, whatever its header says. */
function kindOf(file: string): 'config' | 'mapping' | 'other' {
  const data = parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => doc.toJS() as unknown)
    .find((d) => typeof d === 'object' && d !== null) as Record<string, unknown> | undefined;
  if (data && 'upstream' in data && 'auth' in data) return 'config';
  if (data && 'app' in data && 'resources' in data) return 'mapping';
  return 'other';
}

/**
 * A plausible value for every `${VAR}` the file uses without a default, as an operator would
 * export them: token hashes, URLs, ports, secrets.
 */
function plausibleEnvironment(text: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const live = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n');
  for (const [, name, fallback] of live.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/g)) {
    if (name === undefined || fallback !== undefined) continue;
    if (/HASH$/.test(name)) env[name] = `sha256:${'0123456789abcdef'.repeat(4)}`;
    else if (/URL$/.test(name)) env[name] = 'http://127.0.0.1:3000';
    else if (/PORT$/.test(name)) env[name] = '8080';
    else if (/HOST$/.test(name)) env[name] = '127.0.0.1';
    else env[name] = `plausible-value-for-${name.toLowerCase()}`;
  }
  return env;
}

describe('shipped YAML files', () => {
  it('include the mappings, the examples and config.example.yaml', () => {
    const names = SHIPPED.map((file) => relative(ROOT, file));
    expect(names).toContain('config.example.yaml');
    expect(names).toContain('mappings/demo.yaml');
    expect(names).toContain('examples/docker-compose.yaml');
    expect(names.filter((n) => n.startsWith('examples/kubernetes/')).length).toBeGreaterThanOrEqual(4);
  });

  describe.each(SHIPPED.map((file) => [relative(ROOT, file), file] as const))('%s', (_name, file) => {
    it('starts with a yaml-language-server $schema comment that resolves', () => {
      const schema = declaredSchema(file);
      expect(schema, 'first line: # yaml-language-server: $schema=<path or URL>').toBeDefined();
      if (schema?.startsWith('http')) expect(schema).toMatch(/^https:\/\//);
      else expect(existsSync(schema as string)).toBe(true);
    });

    it("points at the project's schema that fits its content, and passes it", () => {
      const schema = declaredSchema(file);
      const kind = kindOf(file);
      if (kind === 'config') {
        expect(schema).toBe(CONFIG_SCHEMA);
        const env = plausibleEnvironment(readFileSync(file, 'utf8'));
        const config = loadConfig(file, env);
        // The mapping it names, when it is in the repository (container paths are not).
        if (existsSync(config.mapping)) expect(() => loadMapping(config.mapping)).not.toThrow();
      } else if (kind === 'mapping') {
        expect(schema).toBe(MAPPING_SCHEMA);
        expect(() => loadMapping(file)).not.toThrow();
      } else {
        // Compose files and Kubernetes manifests: their own public schemas; well-formed YAML.
        expect(schema).toMatch(/^https:\/\//);
        for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) expect(doc.errors).toEqual([]);
      }
    });
  });
});

/** The schema node a `$ref` like `#/definitions/x` points at. */
function resolveRef(schema: Record<string, unknown>, ref: string): Record<string, unknown> | undefined {
  let node: unknown = schema;
  for (const part of ref.replace(/^#\//, '').split('/')) {
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
  }
  return typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : undefined;
}

/** Dotted paths of every property declared anywhere in the schema that has no description. */
function undescribed(schema: Record<string, unknown>): string[] {
  const missing: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (Array.isArray(node)) {
      for (const [i, item] of node.entries()) walk(item, `${path}[${i}]`);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    const properties = record.properties as Record<string, Record<string, unknown>> | undefined;
    for (const [name, property] of Object.entries(properties ?? {})) {
      const at = `${path}.${name}`;
      const viaRef = typeof property.$ref === 'string' ? resolveRef(schema, property.$ref) : undefined;
      if (typeof property.description !== 'string' && typeof viaRef?.description !== 'string')
        missing.push(at);
    }
    for (const [key, value] of Object.entries(record))
      walk(value, key === 'properties' ? path : `${path}/${key}`);
  };
  walk(schema, '');
  return missing;
}

describe.each([
  ['config.schema.json', CONFIG_SCHEMA],
  ['mapping.schema.json', MAPPING_SCHEMA],
])('%s', (_name, file) => {
  const schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

  it('describes every property (editors show it on hover and completion)', () => {
    expect(undescribed(schema)).toEqual([]);
  });

  it('is the file the loader validates against', () => {
    const source = readFileSync(
      join(
        ROOT,
        'src',
        file.endsWith('config.schema.json') ? 'config/load-config.ts' : 'mapping/load-mapping.ts',
      ),
      'utf8',
    );
    expect(source).toContain(`require('../../schemas/${file.split('/').pop()}')`);
  });
});
