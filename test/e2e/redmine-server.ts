import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The real Redmine the suite runs against, as start.sh reported it. */
export interface RedmineInstance {
  url: string;
  apiKey: string;
}

/** start.sh lives beside the repository (../shared), as in CI; REDMINE_START_SCRIPT overrides it. */
const DEFAULT_START_SCRIPT = fileURLToPath(
  new URL('../../../shared/legacy-apps/redmine/start.sh', import.meta.url),
);

/**
 * Starts Redmine with an empty database (REDMINE_RESET=1), so every run sees the same ids and no
 * leftovers. Any failure throws with everything start.sh printed: the suite must fail loudly,
 * never skip, when the app it tests is missing.
 */
export async function startRedmine(workDir: string): Promise<RedmineInstance> {
  const script = process.env.REDMINE_START_SCRIPT ?? DEFAULT_START_SCRIPT;
  if (!existsSync(script)) {
    throw new Error(`Redmine's start script is missing: ${script} (set REDMINE_START_SCRIPT)`);
  }
  const envFile = join(workDir, 'redmine.env');
  const { code, output } = await run('bash', [script, envFile], { ...process.env, REDMINE_RESET: '1' });
  if (code !== 0) {
    throw new Error(`${script} failed (exit ${code}). Its output:\n${output}`);
  }
  const values = parseEnvFile(await readFile(envFile, 'utf8'));
  const url = values.get('REDMINE_URL');
  const apiKey = values.get('REDMINE_API_KEY');
  if (!url || !apiKey) {
    throw new Error(`${script} wrote no REDMINE_URL/REDMINE_API_KEY to ${envFile}. Its output:\n${output}`);
  }
  return { url, apiKey };
}

function parseEnvFile(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) values.set(match[1], match[2]);
  }
  return values;
}

/** Runs a command; stdout and stderr are kept interleaved, as a person would read them. */
function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.on('error', (error) => resolve({ code: -1, output: `${output}\n${error.message}` }));
    child.on('close', (code, signal) =>
      resolve({ code: code ?? -1, output: signal ? `${output}\n(killed by ${signal})` : output }),
    );
  });
}
