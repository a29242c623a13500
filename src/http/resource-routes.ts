import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '../connector/request-context.js';
import { jsonPieces } from '../lib/json-pieces.js';
import { holdsLongArray } from '../lib/yield.js';
import { isPlainObject } from '../scim/attributes.js';
import { clientProfile } from '../scim/client-profile.js';
import { scimErrors } from '../scim/errors.js';
import { matchesEntityTag } from '../service/preconditions.js';
import type { ResourceService } from '../service/resource-service.js';
import { ENDPOINTS } from '../service/response.js';
import type { Preconditions, ReadOptions } from '../service/service-deps.js';
import { SCIM_CONTENT_TYPE } from './error-handler.js';
import { listParams, projectionParams } from './query-params.js';

export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's deadline and audit recorder, set by the SCIM scope's first hooks. */
    scimContext?: RequestContext;
  }
}

type IdParams = { Params: { id: string } };
type Query = Record<string, unknown>;

/** The SCIM base URL of this request, for meta.location. */
export type BaseUrlOf = (request: FastifyRequest) => string;

/** What the routes call: a ResourceService, or one that picks the current one per call (reload). */
export type ResourceOperations = Pick<
  ResourceService,
  'type' | 'create' | 'query' | 'get' | 'replace' | 'patch' | 'delete'
>;

/** The context the SCIM scope created for this request, handed to every service operation. */
function requestContextOf(request: FastifyRequest): RequestContext {
  const context = request.scimContext;
  if (!context) throw scimErrors.internal('The request has no request context (SCIM scope hooks missing)');
  return context;
}

/** RFC 7644 §3.3–§3.6 routes of one resource type; each hands straight to the service. */
export function registerResourceRoutes(
  scope: FastifyInstance,
  service: ResourceOperations,
  baseUrlOf: BaseUrlOf,
): void {
  const endpoint = ENDPOINTS[service.type];
  const readOptions = (request: FastifyRequest): ReadOptions => ({
    baseUrl: baseUrlOf(request),
    ...projectionParams(request.query as Query),
  });

  scope.post(endpoint, async (request, reply) => {
    const created = await service.create(requestContextOf(request), request.body, readOptions(request));
    const location = (created.meta as { location?: string } | undefined)?.location;
    if (location) reply.header('location', location);
    return sendResource(reply.status(201), created);
  });

  scope.get(endpoint, async (request, reply) => {
    const query = request.query as Query;
    const result = await service.query(requestContextOf(request), listParams(query), readOptions(request));
    return reply.type(SCIM_CONTENT_TYPE).send({ schemas: [LIST_RESPONSE_SCHEMA], ...result });
  });

  // RFC 7644 §3.4.3: the same query sent as a POST body (keeps filters out of URLs and logs).
  scope.post(`${endpoint}/.search`, async (request, reply) => {
    const params = toQuery(request.body ?? {});
    const options = { baseUrl: baseUrlOf(request), ...projectionParams(params) };
    const result = await service.query(requestContextOf(request), listParams(params), options);
    return reply.type(SCIM_CONTENT_TYPE).send({ schemas: [LIST_RESPONSE_SCHEMA], ...result });
  });

  scope.get<IdParams>(`${endpoint}/:id`, async (request, reply) => {
    const context = requestContextOf(request);
    const resource = await service.get(context, request.params.id, readOptions(request));
    // RFC 7644 §3.14 / RFC 7232 §3.2: the client already holds this version.
    const ifNoneMatch = headerValue(request, 'if-none-match');
    const version = versionOf(resource);
    if (ifNoneMatch !== undefined && version !== undefined && matchesEntityTag(ifNoneMatch, [version]))
      return reply.status(304).header('etag', version).send();
    return sendResource(reply, resource);
  });

  scope.put<IdParams>(`${endpoint}/:id`, async (request, reply) => {
    const context = requestContextOf(request);
    const { id } = request.params;
    const replaced = await service.replace(
      context,
      id,
      request.body,
      readOptions(request),
      preconditionsOf(request),
    );
    return sendResource(reply, replaced);
  });

  scope.patch<IdParams>(`${endpoint}/:id`, async (request, reply) => {
    // RFC 7644 §3.5.2 allows 200 with the resource or 204. Entra and Microsoft's test collection
    // expect 204; the resource is returned when asked for (attributes) and to Okta for Users.
    // Okta's group updates get 204, as its SCIM 2.0 guide shows them: a group with every member
    // in the answer would cost each membership change a read of the whole group.
    const base = readOptions(request);
    const representation =
      base.attributes !== undefined ||
      base.excludedAttributes !== undefined ||
      (service.type === 'User' && clientProfile(request) === 'okta');
    const options = { ...base, representation };
    const context = requestContextOf(request);
    const { id } = request.params;
    const patched = await service.patch(context, id, request.body, options, preconditionsOf(request));
    if (representation && patched) return sendResource(reply, patched);
    const version = patched && versionOf(patched);
    if (version !== undefined) reply.header('etag', version);
    return reply.status(204).send();
  });

  scope.delete<IdParams>(`${endpoint}/:id`, async (request, reply) => {
    await service.delete(requestContextOf(request), request.params.id, preconditionsOf(request));
    return reply.status(204).send();
  });
}

async function sendResource(reply: FastifyReply, resource: Record<string, unknown>): Promise<FastifyReply> {
  const version = versionOf(resource);
  if (version !== undefined) reply.header('etag', version);
  reply.type(SCIM_CONTENT_TYPE);
  // A group of 100 000 members is serialised in chunks, not in one JSON.stringify of 6 MB.
  if (holdsLongArray(resource)) return reply.send((await jsonPieces(resource)).join(''));
  return reply.send(resource);
}

function versionOf(resource: Record<string, unknown>): string | undefined {
  const version = (resource.meta as { version?: unknown } | undefined)?.version;
  return typeof version === 'string' ? version : undefined;
}

function preconditionsOf(request: FastifyRequest): Preconditions {
  const ifMatch = headerValue(request, 'if-match');
  return ifMatch === undefined ? {} : { ifMatch };
}

/** One header's value; repeated headers are one list (RFC 9110 §5.3). */
function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * RFC 7644 §3.4.3 SearchRequest: JSON types in, the strings a URL would carry out (the query
 * helpers then apply the same checks as for GET). Anything else is a 400, never a crash.
 */
function toQuery(body: unknown): Query {
  if (!isPlainObject(body)) throw scimErrors.invalidSyntax('A SearchRequest body must be a JSON object');
  const out: Query = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'schemas') continue;
    if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) out[key] = String(value);
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string'))
      out[key] = value.join(',');
    else
      throw scimErrors.invalidValue(
        `SearchRequest "${key.slice(0, 40)}" must be a string, a number or a list of strings`,
      );
  }
  return out;
}
