/**
 * scim-sidecar as deployed, built in-process with buildApp and configured as `npm start` is
 * (`demoConfig` in src/cli/demo.ts): mappings/demo.yaml, the memory id map store, default
 * limits, upstream pool, queue and retries, no audit trail, logging at `warn` (nothing is logged
 * on the happy path).
 * Run by bench/run.ts:
 * `node sidecar.js --upstream URL --api-key KEY --token TOKEN --mapping FILE [--log LEVEL]`.
 */
import { buildApp } from '../src/app.js';
import { demoConfig } from '../src/cli/demo.js';
import type { DeploymentConfig } from '../src/config/deployment-config.js';
import { loadMapping } from '../src/mapping/load-mapping.js';
import { argValue, serveParent } from './ipc.js';

const args = process.argv.slice(2);
const mappingFile = argValue(args, '--mapping');
const logIndex = args.indexOf('--log');
const level = (logIndex === -1 ? 'warn' : args[logIndex + 1]) as DeploymentConfig['logging']['level'];

const config = demoConfig({
  host: '127.0.0.1',
  port: 0,
  token: argValue(args, '--token'),
  upstreamUrl: argValue(args, '--upstream'),
  apiKey: argValue(args, '--api-key'),
  mappingFile,
  level,
});

const app = await buildApp(config, loadMapping(mappingFile));
const url = await app.listen({ host: '127.0.0.1', port: 0 });
serveParent(url, {}, () => app.close());
