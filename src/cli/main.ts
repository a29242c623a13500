#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/config-error.js';
import { checkCommand } from './check.js';
import { demo } from './demo.js';
import { demoAppCommand } from './demo-app.js';
import { dryRun, readJsonArgument } from './dry-run.js';
import { serve } from './serve.js';
import { runTokenCommand } from './token.js';
import { validateCommand } from './validate.js';

const USAGE = `Usage: scim-sidecar <command> [options]

Commands:
  serve --config <file>      serve SCIM in front of the app described by config.yaml
  validate --config <file>   check config.yaml and its mapping; every problem with file:line and the fix
  token [--name <label>]     print a new bearer token and the hash for config.yaml
  token --basic <password>   print the hash of an HTTP basic password
  token list --config <file> list the bearer tokens of config.yaml: name, expiry, hash prefix
  token revoke <name> --config <file> [--write]
                             print config.yaml without that token (--write: edit the file in place)
  demo                       serve SCIM in front of the bundled demo app (PORT, HOST, SCIM_TOKEN)
  demo-app [--port <n>] [--host <address>]
                             the bundled demo app alone (default 127.0.0.1:3000, where
                             config.example.yaml expects the app); prints its API key (APP_API_KEY)
  dry-run --config <file> <METHOD> <scim path> [--body <json|@file>] [--current <json|@file>]
                             print the exact requests the app would receive for a SCIM request,
                             without sending writes; ids in the path are the app's ids
  check --config <file> [--record <file> | --replay <file>]
                             run a short provisioning cycle against the real app (create, find,
                             disable, group, delete; it cleans up after itself), print every app
                             call with its answer and flag what does not read back as written;
                             --record saves the app's answers, --replay runs on them without the app
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      body: { type: 'string' },
      current: { type: 'string' },
      config: { type: 'string', short: 'c' },
      name: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      basic: { type: 'string' },
      write: { type: 'boolean' },
      record: { type: 'string' },
      replay: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 1 : 0;
  }
  switch (command) {
    case 'serve':
      await serve(requireConfig(values.config));
      return -1;
    case 'demo':
      await demo();
      return -1;
    case 'demo-app':
      await demoAppCommand({ port: values.port, host: values.host });
      return -1;
    case 'dry-run': {
      const [method, path] = positionals;
      if (!method || !path)
        throw new UsageError(
          'dry-run needs a method and a SCIM path, e.g. dry-run --config c.yaml GET /Users/42',
        );
      const body = readJsonArgument(values.body);
      const current = readJsonArgument(values.current);
      const output = await dryRun(requireConfig(values.config), {
        method,
        path,
        ...(body !== undefined ? { body } : {}),
        ...(current !== undefined ? { current } : {}),
      });
      process.stdout.write(output);
      return 0;
    }
    case 'check': {
      if (values.record && values.replay) throw new UsageError('check takes --record or --replay, not both');
      return checkCommand(requireConfig(values.config), {
        ...(values.record ? { record: values.record } : {}),
        ...(values.replay ? { replay: values.replay } : {}),
        write: (text) => process.stdout.write(text),
      });
    }
    case 'validate': {
      const { ok, report } = validateCommand(requireConfig(values.config));
      (ok ? process.stdout : process.stderr).write(report);
      return ok ? 0 : 1;
    }
    case 'token':
      process.stdout.write(
        runTokenCommand({
          positionals,
          ...(values.name ? { name: values.name } : {}),
          ...(values.basic !== undefined ? { basic: values.basic } : {}),
          ...(values.config ? { config: values.config } : {}),
          ...(values.write ? { write: true } : {}),
        }),
      );
      return 0;
    default:
      process.stderr.write(`Unknown command "${command}"\n\n${USAGE}`);
      return 1;
  }
}

function requireConfig(config: string | undefined): string {
  if (!config) throw new UsageError('--config <file> is required');
  return config;
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => {
    // Servers keep running (-1); one-shot commands exit with their status.
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      process.stderr.write(`scim-sidecar: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exit(1);
  },
);
