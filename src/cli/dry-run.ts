import { readFileSync } from 'node:fs';
import type { DeploymentConfig } from '../config/deployment-config.js';
import { loadConfig } from '../config/load-config.js';
import { type CallOptions, Connector } from '../connector/connector.js';
import { type AppView, type PlannedCall as GatewayCall, ResourceGateway } from '../connector/gateway.js';
import { outsideRequest } from '../connector/request-context.js';
import { UpstreamClient, type UpstreamRequest } from '../connector/upstream-client.js';
import { loadMapping } from '../mapping/load-mapping.js';
import type { CompiledMapping, ResourceTypeName } from '../mapping/mapping-types.js';
import { scimErrors } from '../scim/errors.js';
import { findEqualityConstraints, parseFilter } from '../scim/filter/index.js';
import { applyPatch, explicitMemberChanges, parsePatchRequest } from '../scim/patch/index.js';
import type { ResourceSchema } from '../scim/schema-types.js';
import { groupResourceSchema, userResourceSchema } from '../scim/schemas/resource-schema.js';
import { validateResource } from '../scim/validate-resource.js';

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
  const resource = type === undefined ? undefined : mapping.resources[type];
  if (!type || extra !== undefined || !resource) {
    throw scimErrors.notFound(
      `dry-run handles /Users and /Groups of the mapped resource types, not ${url.pathname}`,
    );
  }
  const gateway = new ResourceGateway(connector, type);
  const schema = schemaFor(type, resource.enterpriseExtension);
  const rendered = async (call: GatewayCall, options: CallOptions = {}, note = ''): Promise<PlannedCall> => ({
    label: `${type}.${call.operation}${note}`,
    request: await gateway.render(call, options),
  });
  const method = input.method.toUpperCase();

  if (method === 'GET' && appId === undefined) {
    const filterText = url.searchParams.get('filter');
    if (!filterText) return [await rendered(gateway.listCall().call)];
    for (const { path, value } of findEqualityConstraints(parseFilter(filterText))) {
      if (typeof value !== 'string' && typeof value !== 'number') continue;
      const { call, options, searched } = gateway.listCall(path, value);
      if (searched) return [await rendered(call, options)];
    }
    return [
      await rendered(gateway.listCall().call, {}, ' (every page; the filter is evaluated in the adapter)'),
    ];
  }
  if (method === 'GET') return [await rendered({ operation: 'get', input: { appId, withMembers: true } })];
  if (method === 'DELETE') return [await rendered({ operation: 'delete', input: { appId } })];
  if (method === 'POST' && appId === undefined) {
    const { call, followUp } = await gateway.planCreate(validateResource(input.body, schema, 'create'));
    const follow = gateway.plannedCalls('{new id}', followUp);
    return [await rendered(call), ...(await Promise.all(follow.map((c) => rendered(c))))];
  }
  if ((method === 'PUT' || method === 'PATCH') && appId !== undefined) {
    return planWrite(gateway, schema, method, appId, input, rendered);
  }
  throw scimErrors.methodNotAllowed(`dry-run does not handle ${method} ${url.pathname}`);
}

/**
 * PUT and PATCH as the service plans them: the gateway's plan from the current state (read with
 * a real GET unless `--current` gives it) to the next. A group PATCH that names its members, on
 * an app with a call per member, reads nothing, as in the service.
 */
async function planWrite(
  gateway: ResourceGateway,
  schema: ResourceSchema,
  method: 'PUT' | 'PATCH',
  appId: string,
  input: DryRunRequest,
  rendered: (call: GatewayCall, options?: CallOptions, note?: string) => Promise<PlannedCall>,
): Promise<PlannedCall[]> {
  const operations = method === 'PATCH' ? parsePatchRequest(input.body) : [];
  const members =
    method === 'PATCH' && gateway.dedicatedMembers ? explicitMemberChanges(operations) : undefined;
  const readFirst = !members || members.others.length > 0;
  const withMembers = !members;
  const calls: PlannedCall[] = [];
  let plan = gateway.planMembers(members?.add.map((member) => member.value) ?? [], members?.remove ?? []);
  let current: AppView | undefined;
  if (readFirst) {
    if (input.current !== undefined) {
      current = { appId, scim: validateResource(input.current, schema, 'replace'), record: {} };
    } else {
      calls.push(
        await rendered(
          { operation: 'get', input: { appId, withMembers } },
          {},
          ' (sent: a read, to know the current state)',
        ),
      );
      current = await gateway.read(outsideRequest(), appId, withMembers);
    }
    const next =
      method === 'PUT'
        ? validateResource(input.body, schema, 'replace')
        : applyPatch(current.scim, members ? members.others : operations, schema).resource;
    const changes = await gateway.planChange(current, next, { membersKnown: withMembers });
    plan = members ? { ...changes, addMembers: plan.addMembers, removeMembers: plan.removeMembers } : changes;
  }
  for (const call of gateway.plannedCalls(appId, plan, current)) calls.push(await rendered(call));
  if (calls.every((c) => c.request.method === 'GET')) calls.push(noWrite(gateway.type));
  return calls;
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
  return `# ${call.label}\n${call.request.method} ${withoutPassword(client.url(call.request))}\n${headers.join('\n')}\n${body}`;
}

/** A password in the URL's user info (`upstream.baseUrl: https://user:pass@host`) is redacted. */
function withoutPassword(url: string): string {
  const userInfo = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i.exec(url);
  const colon = userInfo?.[2]?.indexOf(':') ?? -1;
  if (!userInfo || colon === -1) return url;
  return `${userInfo[1]}${userInfo[2]?.slice(0, colon)}:${REDACTED}@${url.slice(userInfo[0].length)}`;
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
