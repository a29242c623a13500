import type { FastifyInstance } from 'fastify';
import type { InboundAuthConfig } from '../config/deployment-config.js';
import type { ResourceTypeName } from '../mapping/mapping-types.js';
import { scimErrors } from '../scim/errors.js';
import type { ResourceSchema } from '../scim/schema-types.js';
import {
  discoverySchema,
  resourceTypeRepresentation,
  serviceProviderConfigRepresentation,
} from '../scim/schemas/discovery.js';
import { ENDPOINTS } from '../service/response.js';
import { SCIM_CONTENT_TYPE } from './error-handler.js';
import { type BaseUrlOf, LIST_RESPONSE_SCHEMA } from './resource-routes.js';

type DiscoverySchemas = Partial<Record<ResourceTypeName, ResourceSchema>>;

/**
 * RFC 7644 §4 discovery, generated from the mapping: only the resource types it maps and only
 * the attributes it declares (the enterprise extension only when mapped).
 */
export function registerDiscoveryRoutes(
  scope: FastifyInstance,
  /** The current schemas; a function when a reload may change them. */
  schemas: DiscoverySchemas | (() => DiscoverySchemas),
  auth: InboundAuthConfig,
  maxResults: number,
  baseUrlOf: BaseUrlOf,
): void {
  const types = () => Object.values(typeof schemas === 'function' ? schemas() : schemas);
  const list = (resources: unknown[]) => ({
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: resources.length,
    startIndex: 1,
    itemsPerPage: resources.length,
    Resources: resources,
  });
  const resourceTypes = (baseUrl: string) =>
    types().map((schema) =>
      resourceTypeRepresentation({
        name: schema.resourceType,
        endpoint: ENDPOINTS[schema.resourceType as ResourceTypeName],
        schema: schema.core.id,
        extensions: schema.extensions.map((e) => ({ schema: e.id, required: false })),
        description: `${schema.resourceType} accounts of the app`,
        baseUrl,
      }),
    );
  const allSchemas = (baseUrl: string) =>
    types()
      .flatMap((schema) => [schema.core, ...schema.extensions])
      .map((def) => discoverySchema(def, baseUrl));

  scope.get('/ServiceProviderConfig', async (request, reply) => {
    const authenticationSchemes = [];
    if (auth.bearer || auth.jwt) {
      authenticationSchemes.push({
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: auth.jwt
          ? 'Authentication with an OAuth 2.0 bearer token (an access token issued by the identity provider, or a configured Secret Token)'
          : 'Authentication with a bearer token (the Secret Token in Microsoft Entra ID)',
        primary: true,
      });
    }
    if (auth.basic) {
      authenticationSchemes.push({
        type: 'httpbasic',
        name: 'HTTP Basic',
        description: 'Authentication with a user name and password',
      });
    }
    const body = serviceProviderConfigRepresentation({
      patch: true,
      bulk: false,
      filter: { supported: true, maxResults },
      changePassword: false,
      // RFC 7644 §3.4.2.3, in the adapter over the whole result set (see ResourceQuery).
      sort: true,
      // meta.version / ETag on every resource; If-Match and If-None-Match are checked (§3.14).
      etag: true,
      authenticationSchemes,
      baseUrl: baseUrlOf(request),
    });
    return reply.type(SCIM_CONTENT_TYPE).send(body);
  });

  scope.get('/ResourceTypes', async (request, reply) =>
    reply.type(SCIM_CONTENT_TYPE).send(list(resourceTypes(baseUrlOf(request)))),
  );
  scope.get<{ Params: { name: string } }>('/ResourceTypes/:name', async (request, reply) => {
    const found = resourceTypes(baseUrlOf(request)).find(
      (r) => r.id.toLowerCase() === request.params.name.toLowerCase(),
    );
    if (!found) throw scimErrors.notFound(`Resource type ${request.params.name} not found`);
    return reply.type(SCIM_CONTENT_TYPE).send(found);
  });

  scope.get('/Schemas', async (request, reply) =>
    reply.type(SCIM_CONTENT_TYPE).send(list(allSchemas(baseUrlOf(request)))),
  );
  scope.get<{ Params: { id: string } }>('/Schemas/:id', async (request, reply) => {
    const found = allSchemas(baseUrlOf(request)).find(
      (s) => s.id.toLowerCase() === request.params.id.toLowerCase(),
    );
    if (!found) throw scimErrors.notFound(`Schema ${request.params.id} not found`);
    return reply.type(SCIM_CONTENT_TYPE).send(found);
  });
}
