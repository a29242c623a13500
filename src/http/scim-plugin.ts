import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DeploymentConfig } from '../config/deployment-config.js';
import type { ResourceTypeName } from '../connector/mapping-types.js';
import { scimErrors } from '../scim/errors.js';
import type { ResourceSchema } from '../scim/schema-types.js';
import type { ResourceService } from '../service/resource-service.js';
import { challenge, createAuthenticator, type Principal } from './authenticator.js';
import { registerDiscoveryRoutes } from './discovery-routes.js';
import { scimErrorHandler, sendScimError } from './error-handler.js';
import { type BaseUrlOf, registerResourceRoutes } from './resource-routes.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface ScimPluginOptions {
  config: DeploymentConfig;
  services: Partial<Record<ResourceTypeName, ResourceService>>;
  /** Schemas trimmed to what the mapping supports, for discovery. */
  discoverySchemas: Partial<Record<ResourceTypeName, ResourceSchema>>;
  maxResults: number;
}

/**
 * Everything under the SCIM base path, in its own encapsulated scope: its own JSON parser
 * (application/scim+json and application/json), authentication on every route, and the one
 * SCIM error handler.
 */
export async function scimPlugin(scope: FastifyInstance, options: ScimPluginOptions): Promise<void> {
  const { config } = options;
  const authenticate = createAuthenticator(config.auth);
  const wwwAuthenticate = challenge(config.auth);
  const baseUrlOf: BaseUrlOf = (request: FastifyRequest) =>
    `${config.server.publicUrl ?? `${request.protocol}://${request.host}`}${config.server.basePath}`;

  scope.removeAllContentTypeParsers();
  // Clients label SCIM JSON in several ways (and some send none): parse every body as JSON,
  // rejecting __proto__ / constructor keys.
  scope.addContentTypeParser(
    '*',
    { parseAs: 'string', bodyLimit: config.server.bodyLimit },
    scope.getDefaultJsonParser('error', 'error'),
  );

  scope.setErrorHandler(scimErrorHandler);

  scope.addHook('onRequest', async (request, reply) => {
    const principal = authenticate(request.headers.authorization);
    if (!principal) {
      reply.header('www-authenticate', wwwAuthenticate);
      sendScimError(reply, scimErrors.unauthorized('Authentication failed: send a valid bearer token'));
      return reply;
    }
    request.principal = principal;
    return undefined;
  });

  for (const service of Object.values(options.services)) registerResourceRoutes(scope, service, baseUrlOf);
  registerDiscoveryRoutes(scope, options.discoverySchemas, config.auth, options.maxResults, baseUrlOf);

  // Paths under the base path that match no SCIM route never fall through to the passthrough.
  const notFound = async (request: FastifyRequest) => {
    throw scimErrors.notFound(`No SCIM endpoint at ${request.method} ${request.url.split('?')[0]}`);
  };
  scope.all('/', notFound);
  scope.all('/*', notFound);
}
