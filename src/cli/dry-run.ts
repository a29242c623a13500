import { readFileSync } from 'node:fs';
import { loadConfig } from '../config/load-config.js';
import { Connector } from '../connector/connector.js';
import { UpstreamClient } from '../connector/upstream-client.js';
import { loadMapping } from '../mapping/load-mapping.js';
import { type DryRunRequest, formatCall, planCalls } from '../ops/dry-run-plan.js';
import { scimErrors } from '../scim/errors.js';

export type { DryRunRequest };

/**
 * `scim-sidecar dry-run`: the exact HTTP requests a SCIM request would make the app receive
 * (method, URL, headers with credentials redacted, body), rendered through the mapping, without
 * sending any write. Ids in paths are the app's own ids: the id map is not involved.
 * Only PUT and PATCH without `--current` read from the app (a GET), to know the current state.
 */
export async function dryRun(configFile: string, input: DryRunRequest): Promise<string> {
  const config = loadConfig(configFile);
  const mapping = loadMapping(config.mapping);
  const client = new UpstreamClient({
    baseUrl: config.upstream.baseUrl,
    auth: config.upstream.auth,
    timeoutMs: config.upstream.timeoutMs,
    concurrency: 1,
  });
  try {
    const connector = new Connector(mapping, client);
    const calls = await planCalls(connector, mapping, input);
    return calls.map((call) => formatCall(call, client, config)).join('\n');
  } finally {
    await client.close();
  }
}

/** `@file` reads a file; anything else is JSON text. */
export function readJsonArgument(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  const text = value.startsWith('@') ? readFileSync(value.slice(1), 'utf8') : value;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw scimErrors.invalidSyntax(
      `Not valid JSON (${error instanceof Error ? error.message : 'parse error'})`,
    );
  }
}
