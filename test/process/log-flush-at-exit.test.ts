/**
 * Log and audit lines are written in batches (ops/logger.ts). Whatever is still buffered when the
 * process exits must reach its destination: the last audit lines before a SIGTERM are the ones an
 * operator looks for. Run in a child process (the built dist/), which exits right after logging.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli-process.js';

const dir = mkdtempSync(join(tmpdir(), 'log-flush-at-exit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `body` as an ES module with `dist` bound to the built package's URL; returns its stdout. */
function runScript(body: string): string {
  const dist = pathToFileURL(join(ROOT, 'dist/')).href;
  const script = `const dist = ${JSON.stringify(dist)};\n${body}`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

describe('buffered log lines at exit', () => {
  it('writes the last audit lines to the audit file when the process exits at once', () => {
    const file = join(dir, 'audit.jsonl');
    runScript(`
      const { createAuditLogger } = await import(dist + 'ops/audit.js');
      const audit = createAuditLogger({ file: ${JSON.stringify(file)} });
      audit.info({ requestId: 'req-1' }, 'provisioning operation');
      audit.info({ requestId: 'req-2' }, 'provisioning operation');
      process.exit(0);
    `);
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(lines.map((line) => (JSON.parse(line) as { requestId: string }).requestId)).toEqual([
      'req-1',
      'req-2',
    ]);
  });

  it('writes the last lines to standard output when the process exits at once', () => {
    const stdout = runScript(`
      const { createLogger } = await import(dist + 'ops/logger.js');
      createLogger('info').info({ signal: 'SIGTERM' }, 'shutting down');
      process.exit(0);
    `);
    expect(stdout).toContain('"msg":"shutting down"');
  });
});
