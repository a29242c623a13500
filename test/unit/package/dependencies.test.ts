import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { engines?: { node?: string } | string[] }>;
};

type Version = [number, number, number];
const parse = (text: string): Version => {
  const [major = 0, minor = 0, patch = 0] = text
    .split('.')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : 0));
  return [major, minor, patch];
};
const compare = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** The subset of semver ranges package.json `engines` fields use: >=, >, <, <=, ^, x/*, ||. */
function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  return range.split('||').some((alternative) =>
    alternative
      .trim()
      .replace(/(>=|<=|>|<|=|\^)\s+/g, '$1')
      .split(/\s+/)
      .filter(Boolean)
      .every((comparator) => {
        const [, op = '', ver = ''] = /^(>=|<=|>|<|=|\^)?(.*)$/.exec(comparator) ?? [];
        const target = parse(ver);
        const c = compare(v, target);
        if (op === '>=') return c >= 0;
        if (op === '>') return c > 0;
        if (op === '<=') return c <= 0;
        if (op === '<') return c < 0;
        if (op === '^') return v[0] === target[0] && c >= 0;
        // A bare or wildcard version: the parts it names must match.
        const named = ver.split('.').filter((part) => /^\d+$/.test(part)).length;
        return v.slice(0, named).every((part, i) => part === target[i]);
      }),
  );
}

/** The lowest version of each supported line: `>=22.12` → 22.12.0, and 24.0.0 (the image's line). */
const minimum = /^>=(\d+\.\d+)$/.exec(pkg.engines.node)?.[1];

describe('Node versions: no EBADENGINE on the supported lines', () => {
  it('engines.node is ">=<major.minor>" of a current LTS line', () => {
    expect(pkg.engines.node).toMatch(/^>=(22|24)\.\d+$/);
  });

  it.each([`${minimum}.0`, '24.0.0'])('every installed package accepts Node %s', (version) => {
    const refusing = Object.entries(lock.packages)
      // What npm checks: the packages installed here (platform builds for other systems are not).
      .filter(([name]) => name !== '' && existsSync(join(ROOT, name)))
      .flatMap(([name, entry]) => {
        const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
        return range && !satisfies(version, range) ? [`${name} (${range})`] : [];
      });
    expect(refusing).toEqual([]);
  });

  it('the range check reads the forms the lock file uses', () => {
    expect(satisfies('22.12.0', '^20.19.0 || >=22.12.0')).toBe(true);
    expect(satisfies('20.19.0', '>=22')).toBe(false);
    expect(satisfies('22.12.0', '20 || >=22')).toBe(true);
    expect(satisfies('22.12.0', '10.* || >= 12.*')).toBe(true);
    expect(satisfies('22.12.0', '^20.19.0 || ^22.13.0 || >=23.5.0')).toBe(false);
  });
});

describe('dev dependencies', () => {
  /** Every file that may use a dev dependency: tests, benchmark, scripts, tool configuration. */
  function sources(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (name === 'node_modules' || name === 'dist') return [];
      return statSync(path).isDirectory() ? sources(path) : [readFileSync(path, 'utf8')];
    });
  }
  const used = [
    ...['test', 'bench', 'scripts'].flatMap((dir) => sources(join(ROOT, dir))),
    ...['vitest.config.ts', 'biome.json', 'tsconfig.json'].map((file) =>
      readFileSync(join(ROOT, file), 'utf8'),
    ),
    JSON.stringify(pkg.scripts),
  ].join('\n');

  it.each(Object.keys(pkg.devDependencies))('%s is used', (name) => {
    // @types/x is used when x is (or x is node).
    const typesOf = /^@types\/(.+)$/.exec(name)?.[1];
    if (typesOf !== undefined) {
      expect(typesOf === 'node' || typesOf in pkg.dependencies || typesOf in pkg.devDependencies).toBe(true);
      return;
    }
    const bin = { '@biomejs/biome': 'biome', typescript: 'tsc' }[name];
    expect(
      used.includes(`'${name}`) || used.includes(`"${name}`) || (bin !== undefined && used.includes(bin)),
    ).toBe(true);
  });
});
