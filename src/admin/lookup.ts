import type { RequestContext } from '../connector/request-context.js';
import type { IdMap } from '../idmap/id-map.js';
import type { IdMapEntry } from '../idmap/types.js';
import type { ResourceTypeName } from '../mapping/mapping-types.js';
import { isScimError } from '../scim/errors.js';
import type { ScimResource } from '../scim/schema-types.js';
import type { LiveParts } from './admin-deps.js';

export type LookupKey = 'scimId' | 'appId' | 'externalId' | 'name';

export interface LookupQuery {
  by: LookupKey;
  value: string;
  /** Both provisioned types when absent. */
  type?: ResourceTypeName;
}

/** One resource found: its id map entry beside what a SCIM GET would answer now. */
export interface LookupResult {
  type: ResourceTypeName;
  entry: IdMapEntry;
  /** The live SCIM view, read from the app through the mapping; absent for a deleted resource. */
  live?: ScimResource;
  /** Why there is no live view (the app's answer, a tombstone). */
  liveError?: string;
}

const MAX_RESULTS = 20;

/**
 * Finds resources by SCIM id, app id or externalId (in the id map), or by userName / Group
 * displayName (asked of the app, as an IdP's filter would be), then reads each through the
 * service as a SCIM GET does.
 */
export async function lookUp(
  parts: LiveParts,
  idMap: IdMap,
  query: LookupQuery,
  context: RequestContext,
  baseUrl: string,
): Promise<LookupResult[]> {
  const value = query.value.trim();
  if (value === '') return [];
  const types = (query.type ? [query.type] : (['User', 'Group'] as const)).filter(
    (type) => parts.services[type] !== undefined,
  );
  const entries: Array<{ type: ResourceTypeName; entry: IdMapEntry }> = [];
  for (const type of types) {
    for (const entry of await findEntries(parts, idMap, type, query.by, value, context, baseUrl)) {
      if (entries.length < MAX_RESULTS) entries.push({ type, entry });
    }
  }
  const results: LookupResult[] = [];
  for (const { type, entry } of entries) {
    const result: LookupResult = { type, entry };
    if (entry.deleted) {
      result.liveError = 'Deleted through SCIM; the app keeps the record disabled (a tombstone).';
    } else {
      try {
        result.live = await parts.services[type]?.get(context, entry.scimId, { baseUrl });
      } catch (error) {
        result.liveError = isScimError(error)
          ? `${error.status}${error.scimType ? ` ${error.scimType}` : ''}: ${error.message}`
          : String(error);
      }
      // The read may have set or cleared the missing mark: show the entry as it is now.
      result.entry = (await idMap.get(type, entry.scimId).catch(() => undefined)) ?? entry;
    }
    results.push(result);
  }
  return results;
}

async function findEntries(
  parts: LiveParts,
  idMap: IdMap,
  type: ResourceTypeName,
  by: LookupKey,
  value: string,
  context: RequestContext,
  baseUrl: string,
): Promise<IdMapEntry[]> {
  const one = (entry: IdMapEntry | undefined) => (entry ? [entry] : []);
  if (by === 'scimId') return one(await idMap.get(type, value));
  if (by === 'appId') return one(await idMap.findByAppId(type, value));
  if (by === 'externalId') return one(await idMap.findByExternalId(type, value));
  const attribute = type === 'User' ? 'userName' : 'displayName';
  const service = parts.services[type];
  if (!service) return [];
  // A SCIM string literal is a JSON string.
  const found = await service.query(
    context,
    { filter: `${attribute} eq ${JSON.stringify(value)}`, count: MAX_RESULTS },
    { baseUrl, attributes: ['id'] },
  );
  const entries: IdMapEntry[] = [];
  for (const resource of found.Resources) {
    if (typeof resource.id === 'string') entries.push(...one(await idMap.get(type, resource.id)));
  }
  return entries;
}
