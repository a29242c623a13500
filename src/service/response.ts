import { createHash, hash } from 'node:crypto';
import type { ResourceTypeName } from '../idmap/types.js';
import { jsonPieces } from '../lib/json-pieces.js';
import { isPlainObject } from '../scim/attributes.js';
import { projectResource } from '../scim/projection.js';
import type { ResourceSchema, ScimResource } from '../scim/schema-types.js';
import type { PresentedResource } from './resource-codec.js';
import type { ReadOptions } from './service-deps.js';

/** Resource type → endpoint (RFC 7644 §3.2). */
export const ENDPOINTS: Record<ResourceTypeName, string> = { User: '/Users', Group: '/Groups' };

/**
 * The resource as the client sees it: `schemas`, `id` and `meta` (RFC 7643 §3.1) around the
 * mapped attributes, then `attributes` / `excludedAttributes` applied (RFC 7644 §3.9).
 * meta.created/lastModified come from the app when the mapping provides them, else from the id map.
 */
export function buildResponse(
  type: ResourceTypeName,
  presented: PresentedResource,
  schema: ResourceSchema,
  options: ReadOptions,
  version?: string,
): ScimResource {
  return projectResource(fullResource(type, presented, schema, options.baseUrl, version), schema, options);
}

/** The resource with `schemas`, `id` and `meta`, before projection (what filters are evaluated on). */
export function fullResource(
  type: ResourceTypeName,
  presented: PresentedResource,
  schema: ResourceSchema,
  baseUrl: string,
  /** The ETag, when the caller has worked it out already ({@link versionInPieces}). */
  version?: string,
): ScimResource {
  const { meta: appMeta, ...attributes } = presented.resource;
  const { entry } = presented;
  const schemas = [schema.core.id];
  for (const extension of schema.extensions) {
    if (attributes[extension.id] !== undefined) schemas.push(extension.id);
  }
  const fromApp = isPlainObject(appMeta) ? appMeta : {};
  const full: ScimResource = {
    schemas,
    id: entry.scimId,
    ...attributes,
    meta: {
      resourceType: type,
      created: typeof fromApp.created === 'string' ? fromApp.created : entry.created,
      lastModified: typeof fromApp.lastModified === 'string' ? fromApp.lastModified : entry.lastModified,
      location: `${baseUrl}${ENDPOINTS[type]}/${entry.scimId}`,
      version: version ?? versionOf(entry.scimId, attributes),
    },
  };
  return full;
}

/**
 * The versions a client may hold of the resource as it is now: the ETag of the full resource and,
 * for a Group, the one of the same state read without members (`excludedAttributes=members`, as
 * Entra reads groups).
 */
export function versionsOf(presented: PresentedResource): string[] {
  const attributes = withoutMeta(presented.resource);
  const { scimId } = presented.entry;
  const versions = [versionOf(scimId, attributes)];
  if (attributes.members !== undefined) {
    const { members: _members, ...withoutMembers } = attributes;
    versions.push(versionOf(scimId, withoutMembers));
  }
  return versions;
}

/** A weak ETag (RFC 7644 §3.14) that changes whenever the resource's content changes. */
function versionOf(scimId: string, attributes: ScimResource): string {
  return etagOf(hash('sha256', scimId + JSON.stringify(attributes), 'base64url'));
}

/**
 * The same ETag as the one `fullResource` works out, hashed piece by piece with turns of the
 * event loop between them: for a group of 100 000 members.
 */
export async function versionInPieces(presented: PresentedResource): Promise<string> {
  const digest = createHash('sha256').update(presented.entry.scimId);
  for (const piece of await jsonPieces(withoutMeta(presented.resource))) digest.update(piece);
  return etagOf(digest.digest('base64url'));
}

function etagOf(digest: string): string {
  return `W/"${digest.slice(0, 16)}"`;
}

function withoutMeta(resource: ScimResource): ScimResource {
  const { meta: _meta, ...attributes } = resource;
  return attributes;
}
