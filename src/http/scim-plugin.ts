import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { DeploymentConfig } from '../config/deployment-config.js';
import { requestContext } from '../connector/request-context.js';
import type { ResourceTypeName } from '../mapping/mapping-types.js';
import type { ActivitySink } from '../ops/activity.js';
import { registerAuditHooks, type UpstreamCallRecorder } from '../ops/audit.js';
import { type ClientProfile, clientProfile } from '../scim/client-profile.js';
import { scimErrors } from '../scim/errors.js';
import type { ResourceSchema } from '../scim/schema-types.js';
import { type AccessControlOptions, registerAccessControl } from './access-control.js';
import type { Principal } from './authenticator.js';
import { registerDiscoveryRoutes } from './discovery-routes.js';
import { scimErrorHandler } from './error-handler.js';
import { type BaseUrlOf, type ResourceOperations, registerResourceRoutes } from './resource-routes.js';
import { RouteMethods } from './route-methods.js';
import { registerScimBodyParser } from './scim-body-parser.js';

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
  /**
   * The audit trail (one line per provisioning operation) and the admin console's activity ring;
   * absent: neither. Either may be absent on its own.
   */
  audit?: { logger?: Logger; app: string; activity?: ActivitySink };
  accessControl?: AccessControlOptions;
}

/**
 * Everything under the SCIM base path, in its own encapsulated scope: its own JSON parser
 * (application/scim+json and application/json), authentication on every route, the one
 * SCIM error handler, and SCIM answers (405, 501, 404) where no route serves the request.
 */
export async function scimPlugin(scope: FastifyInstance, options: ScimPluginOptions): Promise<void> {
  const { config } = options;
  const baseUrlOf: BaseUrlOf = (request: FastifyRequest) =>
    `${config.server.publicUrl ?? `${request.protocol}://${request.host}`}${config.server.basePath}`;

  registerScimBodyParser(scope, config.server.bodyLimit);
  scope.setErrorHandler(scimErrorHandler);

  // First, so that requests refused by the access control below are audited too.
  let auditCallsOf: UpstreamCallRecorder | undefined;
  if (options.audit) {
    const { logger, app, activity } = options.audit;
    auditCallsOf = registerAuditHooks(scope, {
      ...(logger ? { audit: logger } : {}),
      ...(activity ? { activity } : {}),
      app,
      basePath: config.server.basePath,
    });
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

  // Every SCIM route registered from here on offers its methods to the 405 answer of noRoute.
  const routeMethods = new RouteMethods();
  const noRoute = noRouteHandler(routeMethods);
  const unsupported = Object.entries(UNSUPPORTED_ENDPOINTS).map(
    ([endpoint, detail]) => [endpoint, notImplementedHandler(detail)] as const,
  );
  // Handlers registered for every method are fallbacks, not methods a path offers.
  const fallbacks = new Set<unknown>([noRoute, ...unsupported.map(([, handler]) => handler)]);
  scope.addHook('onRoute', (route) => {
    if (!fallbacks.has(route.handler)) routeMethods.record(route.url, route.method);
  });

  for (const service of Object.values(options.services)) registerResourceRoutes(scope, service, baseUrlOf);
  registerDiscoveryRoutes(scope, options.discoverySchemas, config.auth, options.maxResults, baseUrlOf);

  for (const [endpoint, handler] of unsupported) {
    scope.all(endpoint, handler);
    scope.all(`${endpoint}/*`, handler);
  }
  // Paths under the base path that match no SCIM route never fall through to the passthrough.
  scope.all('/', noRoute);
  scope.all('/*', noRoute);
}

/** 405 with `Allow` for a path some route serves with other methods; 404 for any other path. */
function noRouteHandler(routeMethods: RouteMethods) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<never> => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = routeMethods.allowedFor(path);
    if (allowed.length === 0) throw scimErrors.notFound(`No SCIM endpoint at ${request.method} ${path}`);
    reply.header('allow', allowed.join(', '));
    throw scimErrors.methodNotAllowed(
      `${request.method} is not allowed on ${path}; it accepts ${allowed.join(', ')}`,
    );
  };
}

/**
 * RFC 7644 §3.2: an endpoint the service provider does not support answers 501. Bulk (§3.7) is
 * advertised as unsupported in ServiceProviderConfig; /Me (§3.11) has no resource to stand for.
 */
const UNSUPPORTED_ENDPOINTS: Readonly<Record<string, string>> = {
  '/Bulk': '/Bulk is not supported: send each operation as its own request',
  '/Me': '/Me is not supported: address the user as /Users/{id}',
};

function notImplementedHandler(detail: string) {
  return async (): Promise<never> => {
    throw scimErrors.notImplemented(detail);
  };
}
