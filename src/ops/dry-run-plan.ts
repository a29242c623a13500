import type { DeploymentConfig } from '../config/deployment-config.js';
import type { CallOptions, Connector } from '../connector/connector.js';
import {
  type AppView,
  type PlannedCall as GatewayCall,
  ResourceGateway,
  withNote,
} from '../connector/gateway.js';
import { outsideRequest, type RequestContext } from '../connector/request-context.js';
import type { UpstreamClient, UpstreamRequest } from '../connector/upstream-client.js';
import type { CompiledMapping, ResourceTypeName } from '../mapping/mapping-types.js';
import { scimErrors } from '../scim/errors.js';
import { findEqualityConstraints, parseFilter } from '../scim/filter/index.js';
import { applyPatch, explicitMemberChanges, parsePatchRequest } from '../scim/patch/index.js';
import type { ResourceSchema } from '../scim/schema-types.js';
import { groupResourceSchema, userResourceSchema } from '../scim/schemas/resource-schema.js';
import { validateResource } from '../scim/validate-resource.js';

/**
 * The planner behind `scim-sidecar dry-run` and the admin console's mapping playground: the
 * exact requests a SCIM request would make the app receive, rendered through the mapping, with
 * no write sent. Only PUT and PATCH without a given current state read from the app (a GET).
 */

export interface DryRunRequest {
  method: string;
  /** SCIM path below the base path: `/Users`, `/Users/42?...`, `/Groups/7`. Ids are the app's ids. */
  path: string;
  body?: unknown;
  /** For PUT/PATCH: the current SCIM resource (default: read it from the app with a real GET). */
  current?: unknown;
}

/** One rendered call, as text: what the app would receive. */
export interface PlannedCall {
  label: string;
  request: UpstreamRequest;
}

const REDACTED = '[redacted]';

/** The calls a SCIM request would make, in order; `context` bounds the one read PUT and PATCH may make. */
export async function planCalls(
  connector: Connector,
  mapping: CompiledMapping,
  input: DryRunRequest,
  context: RequestContext = outsideRequest(),
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
    label: `${type}.${call.operation}${note}${gateway.lookupNote(call, options)}`,
    request: await gateway.render(call, options),
  });
  const method = input.method.toUpperCase();

  if (method === 'GET' && appId === undefined) {
    const filterText = url.searchParams.get('filter');
    // The paging parameters of the first page are in the request; the note says how the next follow.
    const paging = withNote(' (first page; ', gateway.pagingNote(), ')');
    if (!filterText) return [await rendered(gateway.listCall().call, {}, paging)];
    for (const { path, value } of findEqualityConstraints(parseFilter(filterText))) {
      if (typeof value !== 'string' && typeof value !== 'number') continue;
      const { call, options, searched } = gateway.listCall(path, value);
      if (searched) return [await rendered(call, options, paging)];
    }
    const every = ` (every page; the filter is evaluated in the adapter${withNote('; ', gateway.pagingNote())})`;
    return [await rendered(gateway.listCall().call, {}, every)];
  }
  if (method === 'GET' && appId !== undefined) {
    const reads = gateway.readCalls(appId, !/excludedAttributes=[^&]*members/i.test(url.search));
    return Promise.all(reads.map(({ call, note }) => rendered(call, {}, note)));
  }
  if (method === 'DELETE' && appId !== undefined)
    return Promise.all(gateway.removeCalls(appId).map((call) => rendered(call)));
  if (method === 'POST' && appId === undefined) {
    const { call, followUp } = await gateway.planCreate(validateResource(input.body, schema, 'create'));
    const follow = gateway.plannedCalls('{new id}', followUp);
    return [await rendered(call), ...(await Promise.all(follow.map((c) => rendered(c))))];
  }
  if ((method === 'PUT' || method === 'PATCH') && appId !== undefined) {
    return planWrite(gateway, schema, method, appId, input, rendered, context);
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
  context: RequestContext,
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
      current = await gateway.read(context, appId, withMembers);
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

/** A planned call as text: the label, the request line, its headers (credentials redacted) and body. */
export function formatCall(call: PlannedCall, client: UpstreamClient, config: DeploymentConfig): string {
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
