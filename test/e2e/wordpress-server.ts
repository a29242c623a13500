import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running WordPress as start.sh reported it (its env file). */
export interface WordPressInstance {
  url: string;
  user: string;
  /** The administrator's application password: HTTP basic credentials for the REST API. */
  appPassword: string;
}

/** What the WordPress suite does here: run against an instance, or be skipped (or fail) saying why. */
export type WordPressSuitePolicy =
  | { mode: 'run'; instance: WordPressInstance }
  | { mode: 'skip'; message: string }
  | { mode: 'fail'; message: string };

const START_HINT =
  'start one with `sudo bash ../shared/legacy-apps/wordpress/start.sh /tmp/wordpress.env` ' +
  '(or point WORDPRESS_ENV_FILE at the env file start.sh wrote)';

/**
 * Finds the WordPress that `../shared/legacy-apps/wordpress/start.sh ENV_FILE` started: the env
 * file named by WORDPRESS_ENV_FILE, else `wordpress.env` in the temporary directory (where the
 * README's command puts it), and checks that its administrator's application password works.
 * Without one, the suite is skipped with one line, or fails when REQUIRE_WORDPRESS=1 (CI).
 */
export async function wordpressSuitePolicy(
  env: NodeJS.ProcessEnv = process.env,
): Promise<WordPressSuitePolicy> {
  const file = env.WORDPRESS_ENV_FILE ?? join(tmpdir(), 'wordpress.env');
  const why = await probe(file);
  if (typeof why !== 'string') return { mode: 'run', instance: why };
  if (env.REQUIRE_WORDPRESS === '1')
    return {
      mode: 'fail',
      message: `REQUIRE_WORDPRESS=1 but there is no WordPress to test: ${why}; ${START_HINT}.`,
    };
  return {
    mode: 'skip',
    message: `WordPress suite skipped: ${why}. To run it, ${START_HINT}; REQUIRE_WORDPRESS=1 turns this skip into a failure.`,
  };
}

/** The instance, or why there is none. */
async function probe(file: string): Promise<WordPressInstance | string> {
  if (!existsSync(file)) return `${file} does not exist`;
  const values = parseEnvFile(readFileSync(file, 'utf8'));
  const url = values.get('WORDPRESS_URL');
  const user = values.get('WORDPRESS_USER');
  const appPassword = values.get('WORDPRESS_APP_PASSWORD');
  if (!url || !user || !appPassword)
    return `${file} lacks WORDPRESS_URL, WORDPRESS_USER or WORDPRESS_APP_PASSWORD`;
  try {
    const response = await fetch(`${url}/wp-json/wp/v2/users/me?context=edit&_fields=id,roles`, {
      headers: { authorization: `Basic ${Buffer.from(`${user}:${appPassword}`).toString('base64')}` },
      signal: AbortSignal.timeout(5_000),
    });
    const body = (await response.json().catch(() => undefined)) as { roles?: string[] } | undefined;
    if (response.status !== 200 || !body?.roles?.includes('administrator'))
      return `WordPress at ${url} answered ${response.status} to the administrator's application password (from ${file})`;
  } catch (error) {
    return `no WordPress answers at ${url} (from ${file}: ${error instanceof Error ? error.message : String(error)})`;
  }
  return { url, user, appPassword };
}

export function parseEnvFile(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) values.set(match[1], match[2]);
  }
  return values;
}
