/**
 * The bundled demo legacy app, "Acme Directory": an in-memory REST API with its own non-SCIM
 * shape, so the product can be tried with no external service. The HTTP surface lives here; the
 * data rules live in {@link DemoStore}.
 *
 * Built on bare `node:http` on purpose: it must stay independent of the product's own server.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULT_PAGE_SIZE, DemoStore, DemoStoreError, MAX_PAGE_SIZE } from './demo-store.js';

/** Options for {@link startDemoApp}. */
export interface DemoAppOptions {
  /** Interface to listen on; defaults to 127.0.0.1 so the demo is never exposed by accident. */
  host?: string;
  /** Defaults to 0: the OS picks a free port (see {@link DemoApp.port}). */
  port?: number;
  /** Every `/api/*` request must carry it in `X-Api-Key`. */
  apiKey: string;
  /** Artificial delay added to every request, to demonstrate a slow app. */
  latencyMs?: number;
}

/** A running demo app. */
export interface DemoApp {
  /** Base URL, e.g. `http://127.0.0.1:41234`, without a trailing slash. */
  url: string;
  port: number;
  /** Stops accepting connections and resolves once in-flight requests are done. */
  close(): Promise<void>;
  /** The live data behind the API; seed or inspect it directly. */
  store: DemoStore;
}

/** Largest request body accepted; larger bodies get 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

interface Reply {
  status: number;
  json?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

interface RequestContext {
  req: IncomingMessage;
  params: string[];
  query: URLSearchParams;
  store: DemoStore;
}

type Handler = (ctx: RequestContext) => Reply | Promise<Reply>;

interface Route {
  pattern: RegExp;
  methods: Record<string, Handler>;
}

/** Ends request handling early with a given reply. */
class HttpError extends Error {
  readonly reply: Reply;

  constructor(status: number, json: unknown) {
    super(`HTTP ${status}`);
    this.reply = { status, json };
  }
}

const NO_CONTENT: Reply = { status: 204 };
const NOT_FOUND: Reply = { status: 404, json: { error: 'not_found' } };

const HOME_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Acme Directory</title></head>
<body>
<h1>Acme Directory</h1>
<p>The company directory of Acme Corp. Staff accounts and teams are managed through the REST API under
<code>/api</code> (send your key in the <code>X-Api-Key</code> header).</p>
<ul>
<li><code>/api/accounts</code></li>
<li><code>/api/teams</code></li>
<li><code>/api/directory</code> (the directory's settings)</li>
<li><a href="/public/hello.txt">/public/hello.txt</a></li>
</ul>
</body>
</html>
`;

/**
 * Starts the demo app and resolves once it is listening.
 * @throws TypeError when `apiKey` is empty; the listen error when the port is taken.
 */
export async function startDemoApp(options: DemoAppOptions): Promise<DemoApp> {
  if (typeof options.apiKey !== 'string' || options.apiKey === '') {
    throw new TypeError('startDemoApp: apiKey must be a non-empty string');
  }
  const host = options.host ?? '127.0.0.1';
  const latencyMs = options.latencyMs ?? 0;
  const expectedKeyDigest = digest(options.apiKey);
  const store = new DemoStore();

  const server = createServer((req, res) => {
    handle(req, res, store, expectedKeyDigest, latencyMs).catch(() => {
      // Headers may already be out; the socket is all that is left to clean up.
      if (!res.headersSent) send(res, { status: 500, json: { error: 'internal_error' } });
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    store,
    close() {
      closing ??= closeServer(server);
      return closing;
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // Keep-alive sockets left idle by clients would otherwise hold close() open for seconds.
    server.closeIdleConnections();
  });
}

// Hashing both sides gives equal-length buffers, so neither the comparison nor a length check
// reveals anything about the key.
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function isAuthorized(req: IncomingMessage, expectedKeyDigest: Buffer): boolean {
  const provided = req.headers['x-api-key'];
  if (typeof provided !== 'string') return false;
  return timingSafeEqual(digest(provided), expectedKeyDigest);
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  store: DemoStore,
  expectedKeyDigest: Buffer,
  latencyMs: number,
): Promise<void> {
  if (latencyMs > 0) await delay(latencyMs);
  const rawUrl = req.url ?? '/';
  // Split by hand rather than `new URL`: a path like `//x` would otherwise be read as a host.
  const queryStart = rawUrl.indexOf('?');
  const path = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
  const query = new URLSearchParams(queryStart === -1 ? '' : rawUrl.slice(queryStart + 1));

  if ((path === '/api' || path.startsWith('/api/')) && !isAuthorized(req, expectedKeyDigest)) {
    send(res, { status: 401, json: { error: 'unauthorized' } });
    return;
  }

  let reply: Reply;
  try {
    reply = await dispatch(req, path, query, store);
  } catch (err) {
    if (err instanceof HttpError) reply = err.reply;
    else if (err instanceof DemoStoreError) reply = storeErrorReply(err);
    else throw err;
  }
  send(res, reply);
}

function dispatch(
  req: IncomingMessage,
  path: string,
  query: URLSearchParams,
  store: DemoStore,
): Reply | Promise<Reply> {
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const handler = route.methods[method];
    if (!handler) {
      const allowed = Object.keys(route.methods);
      if (allowed.includes('GET')) allowed.push('HEAD');
      return {
        status: 405,
        json: { error: 'method_not_allowed' },
        headers: { Allow: allowed.join(', ') },
      };
    }
    return handler({ req, params: match.slice(1), query, store });
  }
  return NOT_FOUND;
}

function storeErrorReply(err: DemoStoreError): Reply {
  switch (err.code) {
    case 'validation_failed':
      return { status: 400, json: { error: 'validation_failed', fields: err.fields ?? {} } };
    case 'conflict':
      return { status: 409, json: { error: 'conflict', message: err.message } };
    case 'not_found':
      return NOT_FOUND;
  }
}

function send(res: ServerResponse, reply: Reply): void {
  let body: string | undefined;
  let contentType = reply.contentType;
  if (reply.json !== undefined) {
    body = JSON.stringify(reply.json);
    contentType ??= 'application/json; charset=utf-8';
  } else if (reply.text !== undefined) {
    body = reply.text;
    contentType ??= 'text/plain; charset=utf-8';
  }
  const headers: Record<string, string | number> = { ...reply.headers };
  if (body !== undefined && contentType !== undefined) {
    headers['Content-Type'] = contentType;
    headers['Content-Length'] = Buffer.byteLength(body);
  }
  // Node leaves out the body itself for HEAD requests.
  res.writeHead(reply.status, headers);
  res.end(body);
}

/** Reads and parses the JSON body, enforcing {@link MAX_BODY_BYTES}. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const tooLarge = new HttpError(413, { error: 'payload_too_large' });
  const declared = Number(req.headers['content-length']);
  // Refuse before reading; Node drains what the client still sends once the reply is out.
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) throw tooLarge;

  const chunks: Buffer[] = [];
  let size = 0;
  let overflow = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Keep consuming without buffering, so the client can finish sending and read the 413.
    if (size > MAX_BODY_BYTES) overflow = true;
    if (!overflow) chunks.push(chunk);
  }
  if (overflow) throw tooLarge;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, { error: 'invalid_json' });
  }
}

/** The object under `key` in a wrapped body such as `{"account": {...}}`; undefined when absent. */
function unwrap(body: unknown, key: string): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  return (body as Record<string, unknown>)[key];
}

function toId(param: string | undefined): number {
  return Number(param);
}

/**
 * Offset/limit, or, when `page` or `per_page` is given, a 1-based page number and a page size
 * (as WordPress and many others page). `byPage` says which style the caller used.
 */
function pageParams(query: URLSearchParams): { offset: number; limit: number; byPage: boolean } {
  if (query.has('page') || query.has('per_page')) {
    const page = nonNegativeInt(query.get('page'));
    const perPage = nonNegativeInt(query.get('per_page'));
    const fields: Record<string, string> = {};
    if (page === null || page === 0) fields.page = 'must be a positive integer';
    if (perPage === null || perPage === 0) fields.per_page = 'must be a positive integer';
    if (Object.keys(fields).length > 0) throw new HttpError(400, { error: 'validation_failed', fields });
    const limit = Math.min(perPage ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    return { offset: ((page ?? 1) - 1) * limit, limit, byPage: true };
  }
  const fields: Record<string, string> = {};
  const offset = nonNegativeInt(query.get('offset'));
  if (offset === null) fields.offset = 'must be a non-negative integer';
  const limit = nonNegativeInt(query.get('limit'));
  if (limit === null) fields.limit = 'must be a non-negative integer';
  if (offset === null || limit === null) throw new HttpError(400, { error: 'validation_failed', fields });
  return { offset: offset ?? 0, limit: Math.min(limit ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE), byPage: false };
}

/**
 * The headers of a list page: the total in `X-Total-Count`, and an RFC 8288 `Link` to the next
 * page when there is one, in the paging style of the request.
 */
function pageHeaders(
  req: IncomingMessage,
  query: URLSearchParams,
  paging: { offset: number; limit: number; byPage: boolean },
  total: number,
): Record<string, string> {
  const headers: Record<string, string> = { 'X-Total-Count': String(total) };
  const nextOffset = paging.offset + paging.limit;
  if (paging.limit === 0 || nextOffset >= total) return headers;
  const next = new URLSearchParams(query);
  if (paging.byPage) {
    next.set('page', String(nextOffset / paging.limit + 1));
    next.set('per_page', String(paging.limit));
  } else {
    next.set('offset', String(nextOffset));
    next.set('limit', String(paging.limit));
  }
  const path = (req.url ?? '/').split('?')[0];
  headers.Link = `<http://${req.headers.host ?? 'localhost'}${path}?${next}>; rel="next"`;
  return headers;
}

/** Undefined when absent or empty, null when not a non-negative integer. */
function nonNegativeInt(raw: string | null): number | undefined | null {
  if (raw === null || raw === '') return undefined;
  if (!/^\d{1,9}$/.test(raw)) return null;
  return Number(raw);
}

/** Query parameter treated as absent when empty, as `?login=` from a form would send it. */
function param(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name);
  return value === null || value === '' ? undefined : value;
}

const listAccounts: Handler = ({ req, query, store }) => {
  const paging = pageParams(query);
  const { offset, limit } = paging;
  const enabledRaw = param(query, 'enabled');
  if (enabledRaw !== undefined && enabledRaw !== 'true' && enabledRaw !== 'false') {
    throw new HttpError(400, { error: 'validation_failed', fields: { enabled: 'must be true or false' } });
  }
  const result = store.listAccounts({
    login: param(query, 'login'),
    email: param(query, 'email'),
    q: param(query, 'q'),
    enabled: enabledRaw === undefined ? undefined : enabledRaw === 'true',
    offset,
    limit,
  });
  // Like WordPress: a page number past the last page is an error, not an empty page.
  if (paging.byPage && offset > 0 && offset >= result.total)
    throw new HttpError(400, { error: 'invalid_page', message: 'page is past the last page' });
  return { status: 200, json: result, headers: pageHeaders(req, query, paging, result.total) };
};

const createAccount: Handler = async ({ req, store }) => {
  const account = store.createAccount(unwrap(await readJson(req), 'account'));
  const headers = { Location: `/api/accounts/${account.id}`, 'X-Account-Id': String(account.id) };
  // RFC 7240 `Prefer: return=minimal`: a receipt instead of the record, as many apps answer.
  if (/\breturn=minimal\b/i.test(String(req.headers.prefer ?? ''))) {
    const receipt = { status: 'created', href: headers.Location, message: 'Account created' };
    return { status: 201, json: receipt, headers };
  }
  return { status: 201, json: { account }, headers };
};

const getAccount: Handler = ({ params, store }) => {
  const account = store.getAccount(toId(params[0]));
  return account ? { status: 200, json: { account } } : NOT_FOUND;
};

const replaceAccount: Handler = async ({ req, params, store }) => {
  const accountId = toId(params[0]);
  // Unknown id wins over a bad body, as a lookup-then-validate legacy handler would answer.
  if (!store.getAccount(accountId)) return NOT_FOUND;
  const account = store.replaceAccount(accountId, unwrap(await readJson(req), 'account'));
  return { status: 200, json: { account } };
};

/**
 * The old RPC-style update: applies what it can and answers 200 either way, saying in the body
 * whether everything was applied (`ok`), and what was refused.
 */
const patchAccount: Handler = async ({ req, params, store }) => {
  const accountId = toId(params[0]);
  if (!store.getAccount(accountId)) return NOT_FOUND;
  const { account, refused } = store.updateAccountFields(accountId, unwrap(await readJson(req), 'account'));
  const errors = Object.entries(refused).map(([field, problem]) =>
    problem.startsWith(field) ? problem : `${field} ${problem}`,
  );
  return { status: 200, json: errors.length === 0 ? { ok: true, account } : { ok: false, errors, account } };
};

const deleteAccount: Handler = ({ params, store }) => {
  store.deleteAccount(toId(params[0]));
  return NO_CONTENT;
};

const setEnabled =
  (enabled: boolean): Handler =>
  ({ params, store }) => {
    store.setAccountEnabled(toId(params[0]), enabled);
    return NO_CONTENT;
  };

const listTeams: Handler = ({ query, store }) => {
  const { offset, limit } = pageParams(query);
  const { items, total } = store.listTeams({ name: param(query, 'name'), offset, limit });
  return { status: 200, json: { items, total } };
};

const createTeam: Handler = async ({ req, store }) => {
  const team = store.createTeam(unwrap(await readJson(req), 'team'));
  return { status: 201, json: { team }, headers: { Location: `/api/teams/${team.id}` } };
};

const getTeam: Handler = ({ params, store }) => {
  const team = store.getTeam(toId(params[0]));
  return team ? { status: 200, json: { team } } : NOT_FOUND;
};

const replaceTeam: Handler = async ({ req, params, store }) => {
  const teamId = toId(params[0]);
  if (!store.getTeam(teamId)) return NOT_FOUND;
  const team = store.replaceTeam(teamId, unwrap(await readJson(req), 'team'));
  return { status: 200, json: { team } };
};

const deleteTeam: Handler = ({ params, store }) => {
  store.deleteTeam(toId(params[0]));
  return NO_CONTENT;
};

const addMember: Handler = async ({ req, params, store }) => {
  const teamId = toId(params[0]);
  if (!store.getTeam(teamId)) return NOT_FOUND;
  const accountId = unwrap(await readJson(req), 'account_id');
  if (accountId === undefined || accountId === null) {
    throw new HttpError(400, { error: 'validation_failed', fields: { account_id: 'is required' } });
  }
  if (typeof accountId !== 'number' || !Number.isSafeInteger(accountId) || accountId <= 0) {
    throw new HttpError(400, { error: 'validation_failed', fields: { account_id: 'must be an account id' } });
  }
  store.addTeamMember(teamId, accountId);
  return NO_CONTENT;
};

/** The team's members by login: `{"logins": [...]}`, paged, the total in X-Total-Count. */
const listLogins: Handler = ({ req, params, query, store }) => {
  const paging = pageParams(query);
  const result = store.teamLogins(toId(params[0]), paging.offset, paging.limit);
  return {
    status: 200,
    json: { logins: result.items },
    headers: pageHeaders(req, query, paging, result.total),
  };
};

const addLogin: Handler = async ({ req, params, store }) => {
  const teamId = toId(params[0]);
  if (!store.getTeam(teamId)) return NOT_FOUND;
  const login = unwrap(await readJson(req), 'login');
  if (typeof login !== 'string' || login === '') {
    throw new HttpError(400, { error: 'validation_failed', fields: { login: 'is required' } });
  }
  store.addTeamMemberByLogin(teamId, login);
  return NO_CONTENT;
};

const removeLogin: Handler = ({ params, store }) => {
  let login: string;
  try {
    login = decodeURIComponent(params[1] ?? '');
  } catch {
    return NOT_FOUND;
  }
  store.removeTeamMemberByLogin(toId(params[0]), login);
  return NO_CONTENT;
};

const removeMember: Handler = ({ params, store }) => {
  store.removeTeamMember(toId(params[0]), toId(params[1]));
  return NO_CONTENT;
};

// Ids are digits only: anything else matches no route and gets 404, like an unknown record.
const ROUTES: Route[] = [
  {
    pattern: /^\/$/,
    methods: { GET: () => ({ status: 200, text: HOME_PAGE, contentType: 'text/html; charset=utf-8' }) },
  },
  {
    pattern: /^\/public\/hello\.txt$/,
    methods: { GET: () => ({ status: 200, text: 'hello from Acme Directory' }) },
  },
  { pattern: /^\/api\/health$/, methods: { GET: () => ({ status: 200, json: { status: 'ok' } }) } },
  // Settings the whole directory shares: what a mapping asks for once (a lookup).
  {
    pattern: /^\/api\/directory$/,
    methods: {
      GET: () => ({ status: 200, json: { name: 'Acme Directory', default_department: 'General' } }),
    },
  },
  { pattern: /^\/api\/accounts$/, methods: { GET: listAccounts, POST: createAccount } },
  {
    pattern: /^\/api\/accounts\/(\d{1,15})$/,
    methods: { GET: getAccount, PUT: replaceAccount, PATCH: patchAccount, DELETE: deleteAccount },
  },
  { pattern: /^\/api\/accounts\/(\d{1,15})\/disable$/, methods: { POST: setEnabled(false) } },
  { pattern: /^\/api\/accounts\/(\d{1,15})\/enable$/, methods: { POST: setEnabled(true) } },
  { pattern: /^\/api\/teams$/, methods: { GET: listTeams, POST: createTeam } },
  { pattern: /^\/api\/teams\/(\d{1,15})$/, methods: { GET: getTeam, PUT: replaceTeam, DELETE: deleteTeam } },
  { pattern: /^\/api\/teams\/(\d{1,15})\/members$/, methods: { POST: addMember } },
  { pattern: /^\/api\/teams\/(\d{1,15})\/members\/(\d{1,15})$/, methods: { DELETE: removeMember } },
  // The same membership, by login (the team's other API).
  { pattern: /^\/api\/teams\/(\d{1,15})\/logins$/, methods: { GET: listLogins, POST: addLogin } },
  { pattern: /^\/api\/teams\/(\d{1,15})\/logins\/([^/]+)$/, methods: { DELETE: removeLogin } },
];
