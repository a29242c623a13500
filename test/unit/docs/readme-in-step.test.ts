import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { README, section, shellBlocks } from '../../helpers/readme.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8');

describe('README troubleshooting agrees with docs/errors.md', () => {
  const errors = read('docs/errors.md');
  const rows = section('## Troubleshooting')
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| symptom'));

  /** The status docs/errors.md gives in the table row quoting a detail that starts like `detail`. */
  function documentedStatus(detail: string): number | undefined {
    for (const line of errors.split('\n').filter((l) => l.startsWith('|'))) {
      for (const quote of line.matchAll(/"([^"]+)"/g)) {
        const fixed = (quote[1] as string).split(/[<(…]/)[0]?.trim() ?? '';
        if (fixed.length < 10 || !detail.startsWith(fixed)) continue;
        const before = line.slice(0, quote.index);
        const statuses = [...before.matchAll(/\b([45]\d\d)\b/g)].map((m) => Number(m[1]));
        return statuses.at(-1);
      }
    }
    return undefined;
  }

  it('quotes each error detail with the status docs/errors.md gives it', () => {
    const quoted = rows.flatMap((row) =>
      [...row.matchAll(/\b([45]\d\d) "([^"]+)"/g)].map((m) => ({
        detail: m[2] as string,
        status: Number(m[1]),
      })),
    );
    expect(quoted.length).toBeGreaterThanOrEqual(2);
    for (const { detail, status } of quoted) {
      expect({ detail, status }).toEqual({ detail, status: documentedStatus(detail) });
    }
  });

  it('gives an app that is down the status of a refused connection', () => {
    const refused = errors.split('\n').find((line) => line.includes('`ECONNREFUSED`')) ?? '';
    const status = Number(/\b(5\d\d)\b/.exec(refused.slice(refused.indexOf('ECONNREFUSED')))?.[1]);
    expect(status).toBe(503);
    const down = rows.filter((row) => /\bis down\b|not reachable/.test(row));
    expect(down.length).toBeGreaterThan(0);
    for (const row of down) {
      const [symptom = ''] = row.split(' | ');
      expect(symptom).toContain(String(status));
      expect(symptom).not.toMatch(/\b502\b/);
    }
  });
});

describe('Node versions: README, package.json, Dockerfile and CI agree', () => {
  const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
  const promise = /Requires Node\.js (\d+) \((\d+\.\d+) or later\) or (\d+)/.exec(README);
  const lines = promise ? [Number(promise[1]), Number(promise[3])] : [];
  const ci = read('.ci/run');

  it('README names the lines and the minimum engines.node allows', () => {
    expect(promise).not.toBeNull();
    expect(engines).toBe(`>=${promise?.[2]}`);
    expect(promise?.[2]?.split('.')[0]).toBe(String(lines[0]));
  });

  it('the container image runs the newest supported line, as README says', () => {
    const images = [...read('Dockerfile').matchAll(/^FROM node:(\d+)/gm)].map((m) => Number(m[1]));
    expect(images.length).toBeGreaterThan(0);
    for (const major of images) expect(major).toBe(Math.max(...lines));
    expect(README).toContain(`Node ${Math.max(...lines)} LTS`);
  });

  it('CI runs the tests on every supported line, and on no other', () => {
    const tested = /^NODE_LINES=\(([\d ]+)\)$/m.exec(ci)?.[1]?.split(' ').map(Number) ?? [];
    expect(tested.sort()).toEqual([...lines].sort());
    expect(ci).toContain('export PATH="$WORK/node24/bin:$PATH"');
    for (const major of tested.filter((m) => m !== 24)) {
      expect(ci).toContain(`PATH="$WORK/node${major}/bin:$PATH" npm test`);
    }
  });
});

describe('every README shell command is run by CI or by a test', () => {
  /** Run by test/process/*.test.ts, which read these sections from README.md and check them. */
  const RUN_BY_TESTS = ['### A SCIM session against the demo', '## Using it with your app'];
  const covered = new Set(RUN_BY_TESTS.flatMap((heading) => shellBlocks(section(heading))));
  const ci = read('.ci/run');

  it.each(shellBlocks(README).filter((block) => !covered.has(block)))('%s', (block) => {
    for (const command of block.split(/\n|&&/).map((c) => c.trim())) {
      if (command === '' || command.startsWith('#')) continue;
      // `npm start`: test/process/readme-demo.test.ts starts it as the README says.
      if (command === 'npm start') continue;
      expect(ci, `.ci/run runs "${command}"`).toMatch(
        new RegExp(`(^|\\s)${command.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`, 'm'),
      );
    }
  });
});
