import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestContext } from '../connector/request-context.js';
import type { ResourceTypeName } from '../mapping/mapping-types.js';
import { redactUrlCredentials } from '../ops/logger.js';
import { AddressSet, clientAddress } from '../security/ip-rules.js';
import type { AdminConsole } from './admin-console.js';
import { ASSETS } from './assets.js';
import { configSummary } from './config-summary.js';
import { type Html, html } from './html.js';
import { type LookupKey, type LookupResult, lookUp } from './lookup.js';
import { type ActivityQuery, activityDetailPage, activityPage, toFilter } from './pages/activity-page.js';
import { chartsPage } from './pages/charts-page.js';
import { errorsPage } from './pages/errors-page.js';
import { layout, type PageContext, type PageName } from './pages/layout.js';
import { loginPage } from './pages/login-page.js';
import { LOOKUP_KEYS, lookupPage } from './pages/lookup-page.js';
import { notificationsPage } from './pages/notifications-page.js';
import { playgroundPage } from './pages/playground-page.js';
import { statusPage } from './pages/status-page.js';
import { appRecordToScim, planScimRequest } from './playground.js';

export interface AdminPluginOptions {
  console: AdminConsole;
}

const COOKIE = 'scim-sidecar-admin';
const FORM_LIMIT = 512 * 1024;

/**
 * Every response of the console: a CSP that allows only the console's own stylesheet, script
 * and forms (no inline script or style, no other origin, no framing), and no caching of pages.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

declare module 'fastify' {
  interface FastifyRequest {
    /** The console's signed-in user (set by the console's own scope). */
    adminUser?: { name: string; csrf?: string };
  }
}

/**
 * The admin console, in its own encapsulated scope under `admin.path`: its own form parser,
 * error handler and security headers, the sign-in pages and assets open, every other page behind
 * the console credential (a session cookie from signing in, or the credential in Authorization).
 */
export async function adminPlugin(scope: FastifyInstance, options: AdminPluginOptions): Promise<void> {
  const admin = options.console;
  const base = admin.path;
  const live = admin.options.live;
  const serverConfig = live().config.server;
  const trusted = serverConfig.trustedProxies?.length
    ? new AddressSet(serverConfig.trustedProxies)
    : undefined;
  const clientIp = (request: FastifyRequest) =>
    clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], trusted);
  const publicOrigin = serverConfig.publicUrl ? new URL(serverConfig.publicUrl).origin : undefined;

  scope.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: FORM_LIMIT },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  scope.addHook('onSend', (_request, reply, payload, done) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });
  scope.setErrorHandler((error: { statusCode?: number; message?: string }, request, reply) => {
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'admin console error');
    void reply
      .status(status)
      .type('text/plain; charset=utf-8')
      .send(
        status === 500
          ? 'The console failed to answer; the reason is in the log.\n'
          : `${error.message ?? 'Bad request'}\n`,
      );
  });

  const sendHtml = (reply: FastifyReply, page: Html, status = 200) =>
    reply.status(status).type('text/html; charset=utf-8').send(page.text);
  const page = (
    reply: FastifyReply,
    request: FastifyRequest,
    name: PageName | 'detail',
    title: string,
    content: Html,
    status = 200,
  ) => sendHtml(reply, layout(name, title, pageContext(request), content), status);
  const pageContext = (request: FastifyRequest): PageContext => ({
    base,
    principal: request.adminUser?.name ?? '',
    ...(request.adminUser?.csrf ? { csrf: request.adminUser.csrf } : {}),
  });
  const login = (next: string, message?: string) =>
    loginPage({
      base,
      next,
      token: admin.options.config.tokenHash !== undefined,
      password: admin.options.config.basic !== undefined,
      ...(message ? { message } : {}),
    });
  const sameOrigin = (request: FastifyRequest): boolean => {
    const site = request.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
    const origin = request.headers.origin;
    if (origin === undefined) return true;
    return origin === `${request.protocol}://${request.host}` || origin === publicOrigin;
  };
  const secureCookie = (request: FastifyRequest) =>
    request.protocol === 'https' || serverConfig.publicUrl?.startsWith('https:') === true;

  // --- open: assets and signing in --------------------------------------------------------------

  scope.get('/assets/:version/:name', async (request, reply) => {
    const { name } = request.params as { name: string };
    const asset = ASSETS[name];
    if (!asset) return reply.status(404).type('text/plain; charset=utf-8').send('Not found\n');
    return reply
      .type(asset.type)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .send(asset.body);
  });

  scope.get('/login', async (request, reply) => {
    if (admin.auth.session(readCookie(request, COOKIE))) return reply.redirect(`${base}/status`, 303);
    return sendHtml(reply, login(safeNext(base, (request.query as { next?: string }).next)));
  });

  scope.post('/login', async (request, reply) => {
    const form = formOf(request);
    const next = safeNext(base, form.next);
    if (!sameOrigin(request))
      return sendHtml(reply, login(next, 'Sign-in refused: the form came from another site.'), 403);
    const credential =
      typeof form.token === 'string' && form.token !== ''
        ? { token: form.token }
        : { username: String(form.username ?? ''), password: String(form.password ?? '') };
    const result = await admin.auth.signIn(clientIp(request), credential);
    if (!result.ok) {
      request.log.info({ clientIp: clientIp(request) }, 'admin console sign-in failed');
      if (result.retryAfterSec) {
        reply.header('retry-after', String(result.retryAfterSec));
        return sendHtml(
          reply,
          login(next, 'Too many failed sign-ins from this address; try again later.'),
          429,
        );
      }
      return sendHtml(reply, login(next, 'Sign-in failed: check the credential.'), 401);
    }
    request.log.info({ user: result.session.principal.name }, 'admin console sign-in');
    const attributes = [
      `${COOKIE}=${result.sessionId}`,
      `Path=${base}`,
      'HttpOnly',
      'SameSite=Strict',
      `Max-Age=${Math.floor(admin.auth.ttlMs / 1000)}`,
      ...(secureCookie(request) ? ['Secure'] : []),
    ];
    return reply.header('set-cookie', attributes.join('; ')).redirect(next, 303);
  });

  // --- behind the console credential -----------------------------------------------------------

  await scope.register(async (guarded) => {
    guarded.addHook('preHandler', async (request, reply) => {
      const session = admin.auth.session(readCookie(request, COOKIE));
      if (session) {
        request.adminUser = { name: session.principal.name, csrf: session.csrf };
        if (request.method !== 'GET' && request.method !== 'HEAD') {
          const presented = String(formOf(request)._csrf ?? '');
          if (!sameOrigin(request) || !equalText(presented, session.csrf)) {
            return reply
              .status(403)
              .type('text/plain; charset=utf-8')
              .send('Refused: the form is not from this console (CSRF check).\n');
          }
        }
        return;
      }
      const principal = await admin.auth.fromHeader(clientIp(request), request.headers.authorization);
      if (principal) {
        request.adminUser = { name: principal.name };
        return;
      }
      reply.header('www-authenticate', 'Bearer realm="scim-sidecar admin"');
      if (request.method === 'GET' || request.method === 'HEAD') {
        const wanted = request.url.split('?')[0] ?? '';
        return sendHtml(reply, login(safeNext(base, wanted)), 401);
      }
      return reply
        .status(401)
        .type('text/plain; charset=utf-8')
        .send('Sign in to the admin console first.\n');
    });

    guarded.get('/', async (_request, reply) => reply.redirect(`${base}/status`, 303));

    guarded.post('/logout', async (request, reply) => {
      admin.auth.signOut(readCookie(request, COOKIE));
      return reply
        .header('set-cookie', `${COOKIE}=; Path=${base}; HttpOnly; SameSite=Strict; Max-Age=0`)
        .redirect(`${base}/login`, 303);
    });

    guarded.get('/status', async (request, reply) => {
      const parts = live();
      const types = Object.keys(parts.mapping.resources) as ResourceTypeName[];
      const sizes = await Promise.all(
        types.map(async (type) => ({
          type,
          size: await admin.options.idMap.size(type).catch(() => undefined),
        })),
      );
      const content = statusPage({
        version: admin.options.version,
        app: parts.mapping.app,
        startedAt: admin.startedAt,
        now: Date.now(),
        ready: await admin.options.readiness.ready(),
        shuttingDown: admin.options.isShuttingDown(),
        upstream: redactUrlCredentials(parts.config.upstream.baseUrl),
        ...(admin.lastHealth ? { lastHealth: admin.lastHealth } : {}),
        appLatency: admin.appLatency(),
        inFlight: parts.connector.load,
        config: configSummary(parts.config, parts.mapping.app),
        loadedAt: admin.loadedAt,
        ...(admin.lastReload ? { lastReload: admin.lastReload } : {}),
        idMap: { store: parts.config.idMap.store, sizes, cache: admin.options.idMap.stats() },
        activity: { kept: admin.ring.size, capacity: admin.ring.capacity },
      });
      return page(reply, request, 'status', 'Status', content);
    });

    guarded.get('/activity', async (request, reply) => {
      const q = request.query as Record<string, unknown>;
      const text = (key: string) => (typeof q[key] === 'string' ? (q[key] as string) : '');
      const query: ActivityQuery = {
        outcome: text('outcome'),
        resourceType: text('resourceType'),
        clientProfile: text('clientProfile'),
        since: text('since'),
        status: text('status'),
        scimType: text('scimType'),
        appStatus: text('appStatus'),
      };
      const items = admin.ring.list(toFilter(query, Date.now()));
      return page(reply, request, 'activity', 'Activity', activityPage(base, query, items, admin.ring.size));
    });

    guarded.get('/activity/:seq', async (request, reply) => {
      const item = admin.ring.get(Number((request.params as { seq: string }).seq));
      if (!item) {
        return page(
          reply,
          request,
          'detail',
          'Operation not found',
          html`<p class="notice">This operation is no longer kept (the Activity page holds the latest ${admin.ring.capacity}).</p><p><a href="${base}/activity">All operations</a></p>`,
          404,
        );
      }
      const title = `${item.audit.operation} ${item.audit.resourceType ?? ''}: ${item.audit.outcome}`;
      return page(
        reply,
        request,
        'detail',
        title,
        activityDetailPage(base, item, admin.activity.personalData()),
      );
    });

    guarded.get('/errors', async (request, reply) =>
      page(reply, request, 'errors', 'Errors', errorsPage(base, admin.failures.groups())),
    );

    guarded.get('/lookup', async (request, reply) => {
      const q = request.query as Record<string, unknown>;
      const by = LOOKUP_KEYS.some(([key]) => key === q.by) ? (q.by as LookupKey) : 'externalId';
      const value = typeof q.value === 'string' ? q.value : '';
      const type = q.type === 'User' || q.type === 'Group' ? q.type : undefined;
      let results: LookupResult[] | undefined;
      let error: string | undefined;
      if (value.trim() !== '') {
        try {
          results = await lookUp(
            live(),
            admin.options.idMap,
            { by, value, ...(type ? { type } : {}) },
            context(),
            scimBaseUrl(request),
          );
        } catch (failure) {
          error = failure instanceof Error ? failure.message : String(failure);
        }
      }
      return page(
        reply,
        request,
        'lookup',
        'Lookup',
        lookupPage(base, { by, value, type: type ?? '' }, results, error),
      );
    });

    const playgroundDefaults = {
      scim: { method: 'POST', path: '/Users', body: EXAMPLE_USER, current: '' },
      app: { type: 'User', record: '' },
    };
    guarded.get('/playground', async (request, reply) =>
      page(
        reply,
        request,
        'playground',
        'Mapping playground',
        playgroundPage(base, { ...playgroundDefaults, ...csrfOf(request) }),
      ),
    );

    guarded.post('/playground', async (request, reply) => {
      const form = formOf(request);
      const field = (name: string) => (typeof form[name] === 'string' ? (form[name] as string) : '');
      if (field('mode') === 'app') {
        const type: ResourceTypeName = field('type') === 'Group' ? 'Group' : 'User';
        const app = { type, record: field('record') };
        const appResult = await appRecordToScim(live(), type, app.record);
        return page(
          reply,
          request,
          'playground',
          'Mapping playground',
          playgroundPage(base, { ...playgroundDefaults, app, appResult, ...csrfOf(request) }),
        );
      }
      const scim = {
        method: field('method') || 'GET',
        path: field('path'),
        body: field('body'),
        current: field('current'),
      };
      const scimResult = await planScimRequest(live(), admin.options.idMap, scim, context());
      return page(
        reply,
        request,
        'playground',
        'Mapping playground',
        playgroundPage(base, { ...playgroundDefaults, scim, scimResult, ...csrfOf(request) }),
      );
    });

    guarded.get('/charts', async (request, reply) =>
      page(
        reply,
        request,
        'charts',
        'Charts',
        chartsPage(
          admin.history.series(),
          Date.now(),
          admin.history.intervalMs / 1000,
          admin.history.startedAt,
        ),
      ),
    );

    guarded.get('/notifications', async (request, reply) => {
      const notifier = admin.notifier;
      const sent = (request.query as { sent?: string }).sent;
      return page(
        reply,
        request,
        'notifications',
        'Notifications',
        notificationsPage(base, {
          ...(notifier ? { config: notifier.config, target: notifier.target } : {}),
          pending: notifier?.pending ?? 0,
          sent: notifier?.history() ?? [],
          ...csrfOf(request),
          ...(sent === 'delivered' ? { message: 'Test notification delivered.' } : {}),
          ...(sent === 'failed'
            ? { message: 'Test notification not delivered: see the list below and the log.' }
            : {}),
        }),
      );
    });

    guarded.post('/notifications/test', async (_request, reply) => {
      if (!admin.notifier) return reply.redirect(`${base}/notifications`, 303);
      const sent = await admin.notifier.test();
      return reply.redirect(`${base}/notifications?sent=${sent.outcome}`, 303);
    });

    // The whole path belongs to the console: nothing under it reaches the app.
    guarded.all('/*', async (request, reply) =>
      page(reply, request, 'detail', 'Not found', html`<p class="notice">No console page here.</p>`, 404),
    );
  });

  function context() {
    return requestContext(serverConfig.requestDeadlineMs);
  }

  function scimBaseUrl(request: FastifyRequest): string {
    return `${serverConfig.publicUrl ?? `${request.protocol}://${request.host}`}${serverConfig.basePath}`;
  }
}

function csrfOf(request: FastifyRequest): { csrf?: string } {
  return request.adminUser?.csrf ? { csrf: request.adminUser.csrf } : {};
}

function formOf(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
}

/** Where to go after signing in: a console path only, never another site (open redirect). */
function safeNext(base: string, next: unknown): string {
  if (typeof next !== 'string') return `${base}/status`;
  const inConsole =
    next.toLowerCase().startsWith(`${base.toLowerCase()}/`) && !next.includes('//') && !next.includes('\\');
  return inConsole && !/\/login$/i.test(next) ? next : `${base}/status`;
}

function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function equalText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

const EXAMPLE_USER = JSON.stringify(
  {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: 'jdoe@contoso.com',
    externalId: '7b2a',
    active: true,
    name: { givenName: 'John', familyName: 'Doe' },
    emails: [{ value: 'jdoe@contoso.com', type: 'work', primary: true }],
  },
  null,
  2,
);
