import { buildApp } from '../app.js';
import { loadConfig } from '../config/load-config.js';
import { loadMapping } from '../mapping/load-mapping.js';
import { redactUrlCredentials } from '../ops/logger.js';
import { enableReloadTriggers } from '../runtime/reload.js';
import { runServer } from './run-server.js';

/** `scim-sidecar serve --config <file>`: the production entry point. */
export async function serve(configFile: string): Promise<void> {
  const config = loadConfig(configFile);
  const mapping = loadMapping(config.mapping);
  const app = await buildApp(config, mapping);
  // SIGHUP (and, with server.watch, a change to either file) reloads config.yaml and the mapping.
  enableReloadTriggers(app, { watch: config.server.watch === true });
  const address = await runServer(app, config.server.host, config.server.port);
  app.log.info(
    {
      scim: `${address}${config.server.basePath}`,
      app: mapping.app,
      upstream: redactUrlCredentials(config.upstream.baseUrl),
    },
    'scim-sidecar is serving',
  );
}
