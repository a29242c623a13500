/**
 * scim-sidecar as `scim-sidecar serve --config FILE` runs it (src/cli/serve.ts): the config file
 * through loadConfig (every default `serve` applies), its mapping, buildApp and the reload
 * triggers; it listens where the config says (port 0: a free port) instead of taking runServer's
 * signal handling, and the runner stops it over IPC.
 *
 * The runner writes the config (bench/seed.ts): by default the file id map store over a log it
 * wrote beforehand, logging at `info` and the audit trail on standard output, as with
 * config.example.yaml; it sends this process's standard output to a file.
 * Run by bench/run.ts: `node sidecar.js --config FILE`.
 */
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/load-config.js';
import { loadMapping } from '../src/mapping/load-mapping.js';
import { enableReloadTriggers } from '../src/runtime/reload.js';
import { argValue, serveParent } from './ipc.js';

const config = loadConfig(argValue(process.argv.slice(2), '--config'));
const app = await buildApp(config, loadMapping(config.mapping));
enableReloadTriggers(app, { watch: config.server.watch === true });
const url = await app.listen({ host: config.server.host, port: config.server.port });
serveParent(url, {}, () => app.close());
