import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { batchedDestination } from '../../../src/ops/logger.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function destination(): { file: string; stream: pino.DestinationStream & { end(): void } } {
  const dir = mkdtempSync(join(tmpdir(), 'batched-writes-'));
  dirs.push(dir);
  const file = join(dir, 'log.jsonl');
  return { file, stream: batchedDestination({ dest: file, mkdir: false, append: true }) };
}

/** The file's lines once it holds `count` of them, or what it holds after 3 s. */
async function linesOf(file: string, count: number): Promise<string[]> {
  let lines: string[] = [];
  for (let waited = 0; waited < 3000; waited += 20) {
    lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    if (lines.length >= count) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return lines;
}

describe('batched log writes', () => {
  it('writes a lone line shortly after, though it fills no batch', async () => {
    const { file, stream } = destination();
    pino(stream).info({ requestId: 'r1' }, 'request completed');
    const lines = await linesOf(file, 1);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ requestId: 'r1', msg: 'request completed' });
    stream.end();
  });

  it('writes a full batch before the logging call returns, without a round trip through the thread pool', () => {
    const { file, stream } = destination();
    const log = pino(stream);
    const line = 'x'.repeat(100);
    // 50 lines of ~150 bytes fill more than one 4 KB batch.
    for (let i = 0; i < 50; i++) log.info({ i, line }, 'line');
    const written = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(written.length).toBeGreaterThan(20);
    expect(written.length).toBeLessThan(50);
    expect(written.map((l) => (JSON.parse(l) as { i: number }).i)).toEqual([...Array(written.length).keys()]);
    stream.end();
  });

  it('writes every line of a burst, in order', async () => {
    const { file, stream } = destination();
    const log = pino(stream);
    for (let i = 0; i < 500; i++) log.info({ i }, 'line');
    const lines = await linesOf(file, 500);
    expect(lines.map((l) => (JSON.parse(l) as { i: number }).i)).toEqual([...Array(500).keys()]);
    stream.end();
  });
});
