import { readFileSync } from 'node:fs';
import type { DeploymentConfig } from '../config/deployment-config.js';
import { loadConfig } from '../config/load-config.js';
import { Connector } from '../connector/connector.js';
import { loadMapping } from '../mapping/load-mapping.js';
import type { CompiledMapping, OperationName, ResourceTypeName } from '../mapping/mapping-types.js';
import type { RenderInput } from '../connector/render-request.js';
import { outsideRequest } from '../connector/request-context.js';
import { UpstreamClient, type UpstreamRequest } from '../connector/upstream-client.js';
import { isPlainObject } from '../scim/attributes.js';
import { scimErrors } from '../scim/errors.js';
import { findEqualityConstraints, parseFilter } from '../scim/filter/index.js';
import { applyPatch, parsePatchRequest } from '../scim/patch/index.js';
import type { ResourceSchema, ScimResource } from '../scim/schema-types.js';
import { groupResourceSchema, userResourceSchema } from '../scim/schemas/resource-schema.js';
import { validateResource } from '../scim/validate-resource.js';
import { withoutNulls } from '../service/resource-codec.js';
import { findPushdown } from '../service/resource-query.js';
import { planWrite } from '../service/write-plan.js';

export interface DryRunRequest {
  method: string;
  /** SCIM path below the base path: `/Users`, `/Users/42?...`, `/Groups/7`. Ids are the app's ids. */
  path: string;
  body?: unknown;
  /** For PUT/PATCH: the current SCIM resource (default: read it from the app with a real GET). */
  current?: unknown;
}

/** One rendered call, as text: what the app would receive. */
interface PlannedCall {
  label: string;
  request: UpstreamRequest;
}

const REDACTED = '[redacted]';

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
    const calls = await plan(connector, mapping, input);
    return calls.map((call) => formatCall(call, client, config)).join('\n');
  } finally {
    await client.close();
  }
}

async function plan(
  connector: Connector,
  mapping: CompiledMapping,
  input: DryRunRequest,
): Promise<PlannedCall[]> {
  const url = new URL(input.path, 'http://scim.invalid');
  const [, endpoint, appId, extra] = url.pathname.split('/');
  const type: ResourceTypeName | undefined =
    endpoint === 'Users' ? 'User' : endpoint === 'Groups' ? 'Group' : undefined;
  if (!type || extra !== undefined || !mapping.resources[type]) {
    throw scimErrors.notFound(
      `dry-run handles /Users and /Groups of the mapped resource types, not ${url.pathname}`,
    );
  }
  const resourceMapping = connector.resource(type);
  const schema = schemaFor(type, resourceMapping.enterpriseExtension);
  const call = async (name: OperationName, input: RenderInput, options = {}): Promise<PlannedCall> => ({
    label: `${type}.${name}`,
    request: await connector.render(type, name, input, options),
  });
  const method = input.method.toUpperCase();

  if (method === 'GET' && appId === undefined) {
    const filterText = url.searchParams.get('filter');
    const list = resourceMapping.operations.list;
    const paging = { offset: 0, limit: list.pageSize ?? 100, page: 1, withMembers: true };
    if (!filterText) return [await call('list', paging)];
    const filter = parseFilter(filterText);
    for (const { path, value } of findEqualityConstraints(filter)) {
      const pushdown = findPushdown(resourceMapping, path);
      if (pushdown) {
        const options = pushdown.path
          ? { extraQuery: pushdown.query, pathOverride: pushdown.path }
          : { extraQuery: pushdown.query };
        return [await call('list', { ...paging, value }, options)];
      }
    }
    return [
      {
        ...(await call('list', paging)),
        label: `${type}.list (every page; the filter is evaluated in the adapter)`,
      },
    ];
  }
  if (method === 'GET') return [await call('get', { appId, withMembers: true })];
  if (method === 'DELETE') return [await call('delete', { appId })];
  if (method === 'POST' && appId === undefined) {
    const resource = validateResource(input.body, schema, 'create');
    const app = await resourceMapping.fromScim.evaluate(resource);
    return [await call('create', { app, scim: resource })];
  }
  if ((method === 'PUT' || method === 'PATCH') && appId !== undefined) {
    const calls: PlannedCall[] = [];
    let current: ScimResource;
    if (input.current !== undefined) {
      current = validateResource(input.current, schema, 'replace');
    } else {
      const read = await call('get', { appId, withMembers: true });
      calls.push({ ...read, label: `${read.label} (sent: a read, to know the current state)` });
      const { result } = await connector.call(outsideRequest(), type, 'get', { appId, withMembers: true });
      const derived = await resourceMapping.toScim.evaluate(result);
      // As the service sees it: nulls are unassigned values (preserved values are not applied here).
      current = isPlainObject(derived) ? withoutNulls(derived) : {};
    }
    const next =
      method === 'PUT'
        ? validateResource(input.body, schema, 'replace')
        : applyPatch(current, parsePatchRequest(input.body), schema).resource;
    const writePlan = planWrite(resourceMapping, current, next);
    const before = await resourceMapping.fromScim.evaluate(current);
    const after = await resourceMapping.fromScim.evaluate(writePlan.updateInput);
    if (JSON.stringify(before) !== JSON.stringify(after)) {
      calls.push(await call('update', { appId, app: after, scim: writePlan.updateInput }));
    }
    if (writePlan.activeChange !== undefined)
      calls.push(await call(writePlan.activeChange ? 'activate' : 'deactivate', { appId }));
    for (const memberAppId of writePlan.membersToAdd)
      calls.push(await call('addMember', { appId, memberAppId }));
    for (const memberAppId of writePlan.membersToRemove)
      calls.push(await call('removeMember', { appId, memberAppId }));
    if (calls.every((c) => c.request.method === 'GET')) calls.push(noWrite(type));
    return calls;
  }
  throw scimErrors.methodNotAllowed(`dry-run does not handle ${method} ${url.pathname}`);
}

function noWrite(type: ResourceTypeName): PlannedCall {
  return {
    label: `${type}: nothing changes, so no write is sent`,
    request: { method: 'GET', path: '', query: [], headers: {}, body: undefined },
  };
}

function schemaFor(type: ResourceTypeName, enterprise: boolean): ResourceSchema {
  return type === 'User' ? userResourceSchema({ enterprise }) : groupResourceSchema();
}

function formatCall(call: PlannedCall, client: UpstreamClient, config: DeploymentConfig): string {
  if (call.request.path === '') return `# ${call.label}\n`;
  const secretHeaders = new Set(['authorization', 'cookie', 'proxy-authorization']);
  if (config.upstream.auth.header) secretHeaders.add(config.upstream.auth.header.name.toLowerCase());
  const headers = Object.entries(client.headers(call.request)).map(
    ([name, value]) => `${name}: ${secretHeaders.has(name.toLowerCase()) ? REDACTED : value}`,
  );
  const body = call.request.body === undefined ? '' : `\n${JSON.stringify(call.request.body, null, 2)}\n`;
  return `# ${call.label}\n${call.request.method} ${client.url(call.request)}\n${headers.join('\n')}\n${body}`;
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
