import { buildApp } from '../app.js';
import { DEFAULTS, type DeploymentConfig } from '../config/deployment-config.js';
import { startDemoApp } from '../demo/demo-app.js';
import { loadMapping } from '../mapping/load-mapping.js';
import { generateToken, hashToken } from '../security/credentials.js';
import { packagePath } from './package-paths.js';
import { runServer } from './run-server.js';

/**
 * `npm start`: the bundled demo app ("Acme Directory", in memory) with scim-sidecar in front
 * of it. PORT, HOST and SCIM_TOKEN come from the environment.
 */
export async function demo(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const host = env.HOST ?? DEFAULTS.host;
  const port = env.PORT ? Number(env.PORT) : DEFAULTS.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  const tokenFromEnv = env.SCIM_TOKEN !== undefined && env.SCIM_TOKEN !== '';
  const token = tokenFromEnv ? (env.SCIM_TOKEN as string) : generateToken();
  const apiKey = generateToken();
  const demoApp = await startDemoApp({ apiKey });
  const mappingFile = packagePath('mappings/demo.yaml');
  const config = demoConfig({
    host,
    port,
    token,
    upstreamUrl: demoApp.url,
    apiKey,
    mappingFile,
    level: (env.LOG_LEVEL as DeploymentConfig['logging']['level'] | undefined) ?? 'info',
  });
  const app = await buildApp(config, loadMapping(mappingFile));
  const address = await runServer(app, host, port, () => demoApp.close());
  const tenantUrl = `${address}${DEFAULTS.basePath}`;
  app.log.info({ tenantUrl, demoApp: demoApp.url }, 'scim-sidecar demo is serving');
  process.stdout.write(
    [
      '',
      `  SCIM endpoint (Tenant URL): ${tenantUrl}`,
      tokenFromEnv
        ? '  Bearer token: the value of SCIM_TOKEN'
        : `  Bearer token (random, set SCIM_TOKEN to choose one): ${token}`,
      `  Demo app behind it (Acme Directory): ${demoApp.url}`,
      '',
    ].join('\n'),
  );
}

export interface DemoConfigOptions {
  host: string;
  port: number;
  /** The SCIM bearer token (stored as its hash). */
  token: string;
  upstreamUrl: string;
  /** The app's API key, sent as X-Api-Key. */
  apiKey: string;
  mappingFile: string;
  level: DeploymentConfig['logging']['level'];
}

/**
 * The configuration `npm start` runs with: default limits, upstream pool, queue and retries,
 * the memory id map store, no audit trail. The benchmark's sidecar uses it too, so it measures
 * what `npm start` serves.
 */
export function demoConfig(options: DemoConfigOptions): DeploymentConfig {
  return {
    file: '<demo>',
    server: {
      host: options.host,
      port: options.port,
      basePath: DEFAULTS.basePath,
      bodyLimit: DEFAULTS.bodyLimit,
      trustProxy: false,
      requestDeadlineMs: DEFAULTS.requestDeadlineMs,
    },
    auth: { bearer: { tokens: [{ name: 'demo', hash: hashToken(options.token) }] } },
    upstream: {
      baseUrl: options.upstreamUrl,
      auth: { header: { name: 'X-Api-Key', value: options.apiKey } },
      timeoutMs: DEFAULTS.upstreamTimeoutMs,
      concurrency: DEFAULTS.upstreamConcurrency,
      maxQueue: DEFAULTS.upstreamMaxQueue,
      retries: DEFAULTS.upstreamRetries,
    },
    mapping: options.mappingFile,
    idMap: { store: 'memory', path: '', cacheSize: DEFAULTS.idMapCacheSize },
    logging: { level: options.level },
  };
}
