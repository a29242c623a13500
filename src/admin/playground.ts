import { ResourceGateway } from '../connector/gateway.js';
import type { RequestContext } from '../connector/request-context.js';
import type { IdMap } from '../idmap/id-map.js';
import type { ResourceTypeName } from '../mapping/mapping-types.js';
import { formatCall, planCalls } from '../ops/dry-run-plan.js';
import { isPlainObject } from '../scim/attributes.js';
import { isScimError, scimErrors } from '../scim/errors.js';
import type { LiveParts } from './admin-deps.js';

export interface PlaygroundRequest {
  method: string;
  /** `/Users`, `/Users/<id>`: a SCIM id the id map knows is turned into the app's id. */
  path: string;
  /** JSON text; empty for none. */
  body: string;
  /** For PUT and PATCH: the current SCIM resource as JSON text; empty: read it from the app. */
  current: string;
}

export interface PlaygroundResult {
  /** The calls as `scim-sidecar dry-run` prints them; undefined when the request failed. */
  text?: string;
  /** How a SCIM id in the path was resolved. */
  note?: string;
  error?: string;
}

/**
 * The SCIM side of the playground: the calls a SCIM request would make, from the same planner
 * and in the same text as `dry-run`, with the mapping and app settings in force. No write is
 * sent; PUT and PATCH without a current state read it from the app (one GET).
 */
export async function planScimRequest(
  parts: LiveParts,
  idMap: IdMap,
  input: PlaygroundRequest,
  context: RequestContext,
): Promise<PlaygroundResult> {
  try {
    const body = parseJson(input.body, 'body');
    const current = parseJson(input.current, 'current state');
    const { path, note } = await withAppId(idMap, input.path.trim());
    const calls = await planCalls(
      parts.connector,
      parts.mapping,
      {
        method: input.method,
        path,
        ...(body !== undefined ? { body } : {}),
        ...(current !== undefined ? { current } : {}),
      },
      context,
    );
    return {
      text: calls.map((call) => formatCall(call, parts.client, parts.config)).join('\n'),
      ...(note ? { note } : {}),
    };
  } catch (error) {
    return { error: messageOf(error) };
  }
}

/** The app side: an app record as the IdP would see it, through the mapping's toScim. */
export async function appRecordToScim(
  parts: LiveParts,
  type: ResourceTypeName,
  recordText: string,
): Promise<{ scim?: unknown; appId?: string; error?: string }> {
  try {
    const record = parseJson(recordText, 'app record');
    if (!isPlainObject(record)) throw scimErrors.invalidSyntax('The app record must be a JSON object');
    const view = await new ResourceGateway(parts.connector, type).view(record);
    return { scim: view.scim, appId: view.appId };
  } catch (error) {
    return { error: messageOf(error) };
  }
}

async function withAppId(idMap: IdMap, path: string): Promise<{ path: string; note?: string }> {
  const match = /^\/(Users|Groups)\/([^/?]+)(.*)$/.exec(path);
  if (!match) return { path };
  const [, endpoint, id = '', rest = ''] = match;
  const type: ResourceTypeName = endpoint === 'Users' ? 'User' : 'Group';
  const entry = await idMap.get(type, decodeURIComponent(id)).catch(() => undefined);
  if (!entry) return { path };
  return {
    path: `/${endpoint}/${encodeURIComponent(entry.appId)}${rest}`,
    note: `SCIM id ${entry.scimId} is ${type} ${entry.appId} in the app`,
  };
}

function parseJson(text: string, what: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw scimErrors.invalidSyntax(
      `The ${what} is not valid JSON (${error instanceof Error ? error.message : 'parse error'})`,
    );
  }
}

function messageOf(error: unknown): string {
  if (isScimError(error))
    return `${error.status}${error.scimType ? ` ${error.scimType}` : ''}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
