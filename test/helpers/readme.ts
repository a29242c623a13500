/**
 * README.md as data, so the tests run its commands as written: a section by its heading, the
 * shell blocks in it.
 */

import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

/** The text under `heading` (e.g. `## Quick start`) up to the next heading of its level or above. */
export function section(heading: string, markdown = README): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line === heading || line.startsWith(`${heading} `));
  if (start === -1) throw new Error(`README.md has no heading "${heading}"`);
  const level = /^#+/.exec(heading)?.[0].length ?? 2;
  let inCode = false;
  const end = lines.findIndex((line, i) => {
    if (/^ *```/.test(line)) inCode = !inCode;
    if (i <= start || inCode) return false;
    const hashes = /^(#+) /.exec(line)?.[1];
    return hashes !== undefined && hashes.length <= level;
  });
  return lines.slice(start + 1, end === -1 ? undefined : end).join('\n');
}

/** The contents of the ```sh blocks of `text`, in order (indented blocks in lists included). */
export function shellBlocks(text: string): string[] {
  return [...text.matchAll(/^( *)```sh\n([\s\S]*?)^\1```$/gm)].map(([, indent, body]) =>
    (body as string)
      .split('\n')
      .map((line) => line.slice((indent as string).length))
      .join('\n')
      .trimEnd(),
  );
}

const MINI_CURL = fileURLToPath(new URL('./mini-curl.mjs', import.meta.url));

/**
 * The clients a README curl command is run with: curl where installed, and always the stand-in
 * for machines without it (so both stay exercised).
 */
export const CURL_CLIENTS: ReadonlyArray<readonly [string, string | undefined]> = [
  ...(spawnSync('curl', ['--version']).status === 0 ? [['curl', undefined] as const] : []),
  ['a curl stand-in (no curl installed)', MINI_CURL] as const,
];

/** Runs README shell text with bash, `curl` being `shim` when given; node is on the PATH. */
export function runShell(script: string, shim: string | undefined): SpawnSyncReturns<string> {
  const prelude = shim ? `curl() { "${process.execPath}" "${shim}" "$@"; }\n` : '';
  return spawnSync('bash', ['-c', `set -o pipefail\n${prelude}${script}`], {
    encoding: 'utf8',
    env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '' },
    timeout: 60_000,
  });
}
