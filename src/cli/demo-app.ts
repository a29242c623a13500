import { startDemoApp } from '../demo/demo-app.js';
import { generateToken } from '../security/credentials.js';

/** Where config.example.yaml expects the app (`upstream.baseUrl` without APP_URL). */
export const DEMO_APP_DEFAULTS = { host: '127.0.0.1', port: 3000 } as const;

export interface DemoAppCommandOptions {
  host?: string | undefined;
  port?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/**
 * `scim-sidecar demo-app`: the bundled demo app ("Acme Directory") alone, to stand in for your
 * app while trying `serve` with config.example.yaml. Its API key is APP_API_KEY when set (the
 * variable config.example.yaml reads), a random one otherwise; both are printed. Stops on
 * SIGTERM/SIGINT with exit code 0.
 */
export async function demoAppCommand(options: DemoAppCommandOptions = {}): Promise<void> {
  const env = options.env ?? process.env;
  const host = options.host ?? DEMO_APP_DEFAULTS.host;
  const port = options.port === undefined ? DEMO_APP_DEFAULTS.port : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be a port number (0-65535), got "${options.port}"`);
  const keyFromEnv = env.APP_API_KEY !== undefined && env.APP_API_KEY !== '';
  const apiKey = keyFromEnv ? (env.APP_API_KEY as string) : generateToken();
  const app = await startDemoApp({ apiKey, host, port });
  const stop = () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.write(
    [
      '',
      `  Acme Directory (demo app): ${app.url}`,
      keyFromEnv
        ? '  API key (X-Api-Key): the value of APP_API_KEY'
        : '  API key (X-Api-Key; random, set APP_API_KEY to choose one):',
      `  export APP_API_KEY=${apiKey}`,
      '',
      '',
    ].join('\n'),
  );
}
