import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { DeploymentConfig } from '../config/deployment-config.js';
import type { ResourceTypeName } from '../connector/mapping-types.js';
import { requestContext } from '../connector/request-context.js';
import type { IdMap } from '../idmap/id-map.js';
import { registerAuditHooks, type UpstreamCallRecorder } from '../ops/audit.js';
import { scimErrors } from '../scim/errors.js';
import type { ResourceSchema } from '../scim/schema-types.js';
import { type AccessControlOptions, registerAccessControl } from './access-control.js';
import type { Principal } from './authenticator.js';
import { type ClientProfile, clientProfile } from './client-profile.js';
import { registerDiscoveryRoutes } from './discovery-routes.js';
import { scimErrorHandler } from './error-handler.js';
import { type BaseUrlOf, type ResourceOperations, registerResourceRoutes } from './resource-routes.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** The SCIM client's profile: configured (server.clientProfile) or detected per request. */
    clientProfile?: ClientProfile;
  }
}

export interface ScimPluginOptions {
  config: DeploymentConfig;
  /** Route targets per resource type (services that follow reloads, in the app). */
  services: Partial<Record<ResourceTypeName, ResourceOperations>>;
  /** Schemas trimmed to what the mapping supports, for discovery; a function when reloads change them. */
  discoverySchemas:
    | Partial<Record<ResourceTypeName, ResourceSchema>>
    | (() => Partial<Record<ResourceTypeName, ResourceSchema>>);
  maxResults: number;
  /** The audit trail (one line per provisioning operation); absent: none. */
  audit?: { logger: Logger; idMap: IdMap; app: string };
  accessControl?: AccessControlOptions;
}

/**
 * Everything under the SCIM base path, in its own encapsulated scope: its own JSON parser
 * (application/scim+json and application/json), authentication on every route, and the one
 * SCIM error handler.
 */
export async function scimPlugin(scope: FastifyInstance, options: ScimPluginOptions): Promise<void> {
  const { config } = options;
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

  // First, so that requests refused by the access control below are audited too.
  let auditCallsOf: UpstreamCallRecorder | undefined;
  if (options.audit) {
    const { logger, idMap, app } = options.audit;
    auditCallsOf = registerAuditHooks(scope, { audit: logger, idMap, app, basePath: config.server.basePath });
  }

  // Everything a SCIM request does toward the app runs under one deadline, counted from here, and
  // is recorded in the request's audit line: the routes hand this context to the services.
  const deadlineMs = config.server.requestDeadlineMs;
  scope.addHook('onRequest', (request, _reply, done) => {
    request.scimContext = requestContext(deadlineMs, auditCallsOf?.(request));
    done();
  });

  // After the body is parsed, so detection can read the request's shape.
  scope.addHook('preHandler', (request, _reply, done) => {
    const configured = config.server.clientProfile ?? 'auto';
    request.clientProfile = configured === 'auto' ? clientProfile(request) : configured;
    done();
  });

  // Allow-list, failure throttle, then authentication (bearer token, basic or JWT).
  registerAccessControl(scope, config, options.accessControl);

  for (const service of Object.values(options.services)) registerResourceRoutes(scope, service, baseUrlOf);
  registerDiscoveryRoutes(scope, options.discoverySchemas, config.auth, options.maxResults, baseUrlOf);

  // Paths under the base path that match no SCIM route never fall through to the passthrough.
  const notFound = async (request: FastifyRequest) => {
    throw scimErrors.notFound(`No SCIM endpoint at ${request.method} ${request.url.split('?')[0]}`);
  };
  scope.all('/', notFound);
  scope.all('/*', notFound);
}
