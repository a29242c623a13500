import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import pino, { type Logger } from 'pino';
import type { AuditDestination } from '../config/deployment-config.js';
import type { UpstreamCallEvent } from '../connector/connector.js';
import type { RequestRecorder } from '../connector/request-context.js';
import type { ResourceTypeName } from '../mapping/mapping-types.js';
import { clientProfile } from '../scim/client-profile.js';
import {
  type ActivitySink,
  type AppCallRecord,
  keptBody,
  MAX_CALLS_KEPT,
  type ProvisioningActivity,
} from './activity.js';
import { batchedDestination, stdoutDestination } from './logger.js';

/**
 * The audit trail: one JSON line per provisioning operation, written by its own pino instance to
 * its own destination (never mixed into the debug log's level filtering), each line marked
 * `"log": "audit"`. It holds who did what to which resource and how it went; never a credential
 * and never personal data (no userName, e-mail or name: ids only).
 */
export function createAuditLogger(destination: AuditDestination): Logger | undefined {
  if (destination === 'off') return undefined;
  const stream =
    destination === 'stdout'
      ? stdoutDestination()
      : batchedDestination({ dest: destination.file, mkdir: true, append: true });
  return pino(auditLoggerOptions(), stream);
}

/** The options every audit logger uses (exported so tests can write the trail to a stream). */
export function auditLoggerOptions(): pino.LoggerOptions {
  return {
    level: 'info',
    base: { log: 'audit', service: 'scim-sidecar' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}

export type AuditOutcome = 'success' | 'failure' | 'denied';

/** One line of the audit trail. */
export interface AuditRecord {
  requestId: string;
  /** The authenticated client (token name, basic user, JWT client id); null when refused. */
  principal: string | null;
  authMethod: string | null;
  clientIp: string;
  /** create, list, search, get, replace, patch, delete; `access` for a refused non-resource route. */
  operation: string;
  resourceType: ResourceTypeName | null;
  scimId: string | null;
  /** The resource's id in the app. */
  appId: string | null;
  /** The mapping's `app`. */
  app: string;
  outcome: AuditOutcome;
  /** The status answered to the IdP. */
  status: number;
  /**
   * The app's status that explains the outcome: for a failure, that of the first call to the
   * app that failed; otherwise that of the last call (after any retry). Null when no call was
   * made or the call got no answer.
   */
  upstreamStatus: number | null;
  upstreamCalls: number;
  durationMs: number;
  /**
   * Attributes the write carried that the mapping cannot store, accepted and not kept (names
   * only: values may be personal data). Present only when there were some.
   */
  droppedAttributes?: string[];
}

/**
 * What one request collects while it runs: the connector reports its calls to the app here, the
 * service the attributes a write carried that the mapping cannot store.
 */
interface AuditContext {
  lastStatus: number | null;
  /** Set by the first call that failed (undefined status: no answer at all). */
  firstFailure?: { status: number | null };
  upstreamCalls: number;
  appId?: string;
  droppedAttributes?: string[];
  /** The calls to the app, kept only when the admin console records activity. */
  calls?: AppCallRecord[];
  callsOmitted?: number;
  /** The SCIM error answered, when the console records activity. */
  error?: { scimType?: string; detail?: string };
  /** Records on this context what the service reports (handed down with the request). */
  readonly recorder: RequestRecorder;
}

function newAuditContext(keepCalls: boolean): AuditContext {
  const context: AuditContext = {
    lastStatus: null,
    upstreamCalls: 0,
    recorder: {
      upstreamCall: (event) => recordUpstreamCall(context, event),
      droppedAttributes: (names) => {
        context.droppedAttributes = [...(context.droppedAttributes ?? []), ...names];
      },
      resource: (appId) => {
        context.appId = appId;
      },
    },
  };
  // Only the admin console keeps the calls themselves; the audit line counts them.
  if (keepCalls) {
    context.calls = [];
    context.callsOmitted = 0;
  }
  return context;
}

function recordUpstreamCall(context: AuditContext, event: UpstreamCallEvent): void {
  context.upstreamCalls += 1;
  context.lastStatus = event.status ?? null;
  const failed = event.status === undefined || event.status >= 400;
  if (failed && !context.firstFailure) context.firstFailure = { status: event.status ?? null };
  if (!context.calls) return;
  if (context.calls.length >= MAX_CALLS_KEPT) {
    context.callsOmitted = (context.callsOmitted ?? 0) + 1;
    return;
  }
  context.calls.push({
    operation: `${event.resourceType}.${event.operation}`,
    method: event.method ?? '',
    path: event.path ?? '',
    status: event.status,
    durationMs: Math.round(event.durationMs * 10) / 10,
    attempt: event.attempt ?? 1,
    ...(event.detail !== undefined ? { detail: event.detail } : {}),
  });
}

/** Where a request reports to its audit line: calls to the app, dropped attributes (undefined: not audited). */
export type AuditRecorderOf = (request: FastifyRequest) => RequestRecorder | undefined;

/** The former name of {@link AuditRecorderOf}, from when it recorded calls to the app only. */
export type UpstreamCallRecorder = AuditRecorderOf;

declare module 'fastify' {
  interface FastifyRequest {
    /** The client address after X-Forwarded-For from trusted proxies (set by the SCIM scope). */
    clientIp?: string;
  }
}

/**
 * Where a request keeps its audit context: a property of its own, declared on every request of the
 * scope (so requests keep one shape), rather than a WeakMap keyed by short-lived requests.
 */
const AUDIT_CONTEXT = Symbol('auditContext');
type AuditedRequest = FastifyRequest & { [AUDIT_CONTEXT]?: AuditContext | null };

function auditContextOf(request: FastifyRequest): AuditContext | undefined {
  return (request as AuditedRequest)[AUDIT_CONTEXT] ?? undefined;
}

export interface AuditHookOptions {
  /** The audit trail; absent when only the admin console records operations. */
  audit?: Logger;
  /** The admin console's activity ring; absent (the console is off): nothing more is kept. */
  activity?: ActivitySink;
  /** The SCIM base path the scope is registered under. */
  basePath: string;
  app: string;
}

const RESOURCE_ROUTE = /^\/(Users|Groups)(\/\.search|\/:id)?$/;
const TYPES: Record<string, ResourceTypeName> = { Users: 'User', Groups: 'Group' };

/**
 * Hooks the audit trail into the SCIM scope at the HTTP layer: it is there that the principal,
 * the route (operation and resource type), the SCIM id and the final status are all known. The
 * status of the calls to the app and the dropped attributes come from the recorder returned
 * here, which the scope hands down in each request's context, and so does the app id: the service
 * reports it when the id map names it (before the operation, so a delete still has it; after a
 * create). Register it first in the scope so even requests refused by authentication are
 * recorded.
 */
export function registerAuditHooks(scope: FastifyInstance, options: AuditHookOptions): AuditRecorderOf {
  const { audit, activity } = options;
  const base = options.basePath.toLowerCase();

  scope.decorateRequest(AUDIT_CONTEXT, null);
  scope.addHook('onRequest', (request, _reply, done) => {
    (request as AuditedRequest)[AUDIT_CONTEXT] = newAuditContext(activity !== undefined);
    done();
  });

  // The console shows why an operation failed: the scimType and detail of the error answered.
  if (activity) {
    scope.addHook('onSend', (request, reply, payload, done) => {
      const context = auditContextOf(request);
      if (context && reply.statusCode >= 400 && typeof payload === 'string') {
        try {
          const body = JSON.parse(payload) as { scimType?: unknown; detail?: unknown };
          context.error = {
            ...(typeof body.scimType === 'string' ? { scimType: body.scimType } : {}),
            ...(typeof body.detail === 'string' ? { detail: body.detail } : {}),
          };
        } catch {
          // Not a SCIM error body: nothing to show.
        }
      }
      done(null, payload);
    });
  }

  // Callback style: it runs on every SCIM request, and an async hook costs a promise each time.
  scope.addHook('onResponse', (request, reply, done) => {
    const route = describeRoute(request, base);
    const outcome = outcomeOf(reply.statusCode, request.principal !== undefined);
    // Successful discovery reads are not provisioning operations; refusals always are recorded.
    if (!route?.resourceType && outcome !== 'denied') return done();
    const context = auditContextOf(request);
    const scimId =
      route?.operation === 'create' && outcome === 'success' ? createdId(reply) : stringParam(request.params);
    const record: AuditRecord = {
      requestId: String(request.id),
      principal: request.principal?.name ?? null,
      authMethod: request.principal?.method ?? null,
      clientIp: request.clientIp ?? request.socket.remoteAddress ?? '',
      operation: route?.operation ?? 'access',
      resourceType: route?.resourceType ?? null,
      scimId: scimId ?? null,
      appId: context?.appId ?? null,
      app: options.app,
      outcome,
      status: reply.statusCode,
      upstreamStatus:
        (outcome === 'success'
          ? context?.lastStatus
          : (context?.firstFailure?.status ?? context?.lastStatus)) ?? null,
      upstreamCalls: context?.upstreamCalls ?? 0,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
      ...(context?.droppedAttributes ? { droppedAttributes: context.droppedAttributes } : {}),
    };
    audit?.info(record, 'provisioning operation');
    if (activity) activity.record(activityOf(request, record, context, activity.personalData()));
    done();
  });

  return (request) => auditContextOf(request)?.recorder;
}

/** The operation as the admin console keeps it: bodies and queries only when personal data may be kept. */
function activityOf(
  request: FastifyRequest,
  record: AuditRecord,
  context: AuditContext | undefined,
  personalData: boolean,
): ProvisioningActivity {
  const mark = request.url.indexOf('?');
  const path = mark === -1 ? request.url : request.url.slice(0, mark);
  const query = mark === -1 ? undefined : request.url.slice(mark + 1);
  const hasBody = request.body !== undefined && request.body !== null;
  return {
    time: new Date().toISOString(),
    audit: record,
    method: request.method,
    path,
    ...(personalData && query ? { query } : {}),
    clientProfile: request.clientProfile ?? clientProfile(request),
    ...(context?.error?.scimType ? { scimType: context.error.scimType } : {}),
    ...(context?.error?.detail ? { detail: context.error.detail } : {}),
    ...(personalData && hasBody ? { requestBody: keptBody(request.body) } : {}),
    bodyRedacted: hasBody && !personalData,
    calls: context?.calls ?? [],
    callsOmitted: context?.callsOmitted ?? 0,
  };
}

function describeRoute(
  request: FastifyRequest,
  base: string,
): { operation: string; resourceType?: ResourceTypeName } | undefined {
  const url = request.routeOptions.url;
  if (!url) return undefined;
  const relative = url.toLowerCase().startsWith(base) ? url.slice(base.length) : url;
  const match = RESOURCE_ROUTE.exec(relative);
  if (!match) return undefined;
  const resourceType = TYPES[match[1] as string];
  const suffix = match[2];
  const method = request.method;
  let operation: string;
  if (suffix === '/.search') operation = 'search';
  else if (suffix === '/:id') {
    operation =
      method === 'GET' ? 'get' : method === 'PUT' ? 'replace' : method === 'PATCH' ? 'patch' : 'delete';
  } else operation = method === 'POST' ? 'create' : 'list';
  return resourceType ? { operation, resourceType } : { operation };
}

/** Refused before authentication completed (401, 403, 429) is `denied`; after it, a 4xx/5xx fails. */
function outcomeOf(status: number, authenticated: boolean): AuditOutcome {
  if (!authenticated && status >= 400) return 'denied';
  return status < 400 ? 'success' : 'failure';
}

function stringParam(params: unknown): string | undefined {
  const id = (params as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

/** The SCIM id of a resource just created: the last segment of its Location. */
function createdId(reply: FastifyReply): string | undefined {
  const location = reply.getHeader('location');
  if (typeof location !== 'string') return undefined;
  const last = location.split('/').pop();
  return last ? decodeURIComponent(last) : undefined;
}
