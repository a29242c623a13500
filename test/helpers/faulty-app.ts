/**
 * A fake legacy app on a real port with the REST shape of the bundled demo app (the calls
 * mappings/demo.yaml declares: accounts, teams, members), an in-memory state, and a fault
 * schedule consulted on every request: the connection reset before an answer, headers held back
 * beyond the caller's timeout, 5xx JSON, 429 and 503 with Retry-After, an HTML error page,
 * truncated JSON, and a write applied whose answer is then lost.
 *
 * Built on bare node:http so that what goes over the wire is exactly what a misbehaving app
 * would send: the sidecar talks to it through its own undici Agent, timeouts included.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const FAULT_KINDS = [
  /** The socket is destroyed before any answer; nothing is applied. */
  'reset',
  /** The write is applied, the answer held back beyond the caller's timeout. */
  'slowHeaders',
  /** 500 with a JSON body; nothing is applied. */
  'json500',
  /** 429 with Retry-After (1 s unless configured); nothing is applied. */
  'tooMany',
  /** 500 with an HTML page carrying a stack trace; nothing is applied. */
  'html500',
  /** The write is applied, the success answer cut in the middle of its JSON. */
  'truncated',
  /** 503 with Retry-After (1 s unless configured); nothing is applied. */
  'unavailable',
  /** The write is applied, then the socket is destroyed before the answer. */
  'appliedLost',
] as const;

/**
 * Faults outside the random mix of {@link seededSchedule}, scheduled only on purpose: a 404 for a
 * record the app still holds (a proxy that lost its route, an app restarting), nothing applied.
 */
export const TARGETED_FAULT_KINDS = ['notFound'] as const;

export type FaultKind = (typeof FAULT_KINDS)[number] | (typeof TARGETED_FAULT_KINDS)[number];

export interface FaultRequest {
  method: string;
  /** Path and query as received. */
  url: string;
}

/** Decides the fault for one request; undefined: answer normally. */
export type FaultSchedule = (request: FaultRequest) => FaultKind | undefined;

// The same records as the demo app: the fault tests use mappings/demo.yaml unchanged.
import type { Account, Team } from '../../src/demo/demo-store.js';

export type { Account, Team } from '../../src/demo/demo-store.js';

export interface FaultyAppOptions {
  apiKey: string;
  schedule?: FaultSchedule;
  /** How long `slowHeaders` holds the answer back; beyond the sidecar's upstream timeout. */
  slowMs?: number;
  /** Refuse a second account with the same login (409), as the demo app does. Default true. */
  uniqueLogins?: boolean;
  /** The Retry-After header of `tooMany` and `unavailable`; default '1'. */
  retryAfter?: string;
}

export interface RecordedRequest {
  method: string;
  url: string;
  fault: FaultKind | undefined;
}

export interface FaultyApp {
  url: string;
  /** The live state; read it to compare with what the IdP intended. */
  accounts: Map<number, Account>;
  teams: Map<number, { id: number; name: string; members: Set<number> }>;
  /** Every request received, with the fault it got. */
  requests: RecordedRequest[];
  /** Faults injected so far, by kind. */
  faults: Map<FaultKind, number>;
  setSchedule(schedule: FaultSchedule | undefined): void;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  json?: unknown;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly json: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

const LOGIN_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;
const PAGE_MAX = 200;

const HTML_ERROR_PAGE = `<!DOCTYPE html>
<html><head><title>500 Internal Server Error</title></head>
<body><h1>Internal Server Error</h1>
<pre>TypeError: Cannot read properties of undefined (reading 'login')
    at AccountsController.create (/srv/legacy/app/controllers/accounts.js:42:17)
    at Layer.handle [as handle_request] (/srv/legacy/node_modules/express/lib/router/layer.js:95:5)
</pre></body></html>`;

/** Starts the fake app on 127.0.0.1, port 0. */
export async function startFaultyApp(options: FaultyAppOptions): Promise<FaultyApp> {
  const accounts = new Map<number, Account>();
  const teams = new Map<number, { id: number; name: string; members: Set<number> }>();
  const requests: RecordedRequest[] = [];
  const faults = new Map<FaultKind, number>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const slowMs = options.slowMs ?? 1_000;
  const uniqueLogins = options.uniqueLogins ?? true;
  const retryAfter = options.retryAfter ?? '1';
  let schedule = options.schedule;
  let nextId = 1001;
  let clock = Date.parse('2024-01-01T00:00:00Z');
  const now = () => {
    clock += 1000;
    return new Date(clock).toISOString();
  };

  // -------------------------------------------------------------------------------------------
  // The app's rules
  // -------------------------------------------------------------------------------------------

  function accountFields(body: unknown): Omit<Account, 'id' | 'created_at' | 'updated_at'> {
    const raw = record(record(body).account);
    const errors: Record<string, string> = {};
    const login = raw.login;
    if (typeof login !== 'string' || !LOGIN_PATTERN.test(login)) errors.login = 'is invalid';
    for (const name of ['first_name', 'last_name']) {
      if (typeof raw[name] !== 'string' || (raw[name] as string).trim() === '') errors[name] = 'is required';
    }
    for (const name of ['email', 'phone', 'department', 'title']) {
      if (raw[name] !== undefined && raw[name] !== null && typeof raw[name] !== 'string')
        errors[name] = 'must be a string';
    }
    if (raw.enabled !== undefined && raw.enabled !== null && typeof raw.enabled !== 'boolean')
      errors.enabled = 'must be a boolean';
    if (Object.keys(errors).length > 0)
      throw new HttpError(400, { error: 'validation_failed', fields: errors });
    const optional = (name: string) => (typeof raw[name] === 'string' ? (raw[name] as string) : null);
    return {
      login: login as string,
      first_name: raw.first_name as string,
      last_name: raw.last_name as string,
      email: optional('email'),
      phone: optional('phone'),
      department: optional('department'),
      title: optional('title'),
      enabled: typeof raw.enabled === 'boolean' ? raw.enabled : true,
    };
  }

  function assertLoginFree(login: string, except: number | undefined): void {
    if (!uniqueLogins) return;
    for (const account of accounts.values()) {
      if (account.id !== except && account.login.toLowerCase() === login.toLowerCase()) {
        throw new HttpError(409, { error: 'conflict', message: 'login already exists' });
      }
    }
  }

  function teamFields(body: unknown): { name: string; members: Set<number> } {
    const raw = record(record(body).team);
    if (typeof raw.name !== 'string' || raw.name.trim() === '') {
      throw new HttpError(400, { error: 'validation_failed', fields: { name: 'is required' } });
    }
    const ids = Array.isArray(raw.member_ids) ? raw.member_ids : [];
    for (const id of ids) {
      if (typeof id !== 'number' || !accounts.has(id)) {
        throw new HttpError(400, {
          error: 'validation_failed',
          fields: { member_ids: `unknown account ${String(id)}` },
        });
      }
    }
    return { name: raw.name, members: new Set(ids as number[]) };
  }

  function assertTeamNameFree(name: string, except: number | undefined): void {
    for (const team of teams.values()) {
      if (team.id !== except && team.name.toLowerCase() === name.toLowerCase()) {
        throw new HttpError(409, { error: 'conflict', message: 'team name already exists' });
      }
    }
  }

  const toTeam = (team: { id: number; name: string; members: Set<number> }): Team => ({
    id: team.id,
    name: team.name,
    member_ids: [...team.members],
  });

  function requireAccount(id: number): Account {
    const account = accounts.get(id);
    if (!account) throw new HttpError(404, { error: 'not_found' });
    return account;
  }

  function requireTeam(id: number): { id: number; name: string; members: Set<number> } {
    const team = teams.get(id);
    if (!team) throw new HttpError(404, { error: 'not_found' });
    return team;
  }

  function paging(query: URLSearchParams): { offset: number; limit: number } {
    const offset = Number(query.get('offset') ?? 0);
    const limit = Math.min(Number(query.get('limit') ?? 50), PAGE_MAX);
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 0) {
      throw new HttpError(400, { error: 'validation_failed', fields: { offset: 'invalid' } });
    }
    return { offset, limit };
  }

  /** Runs the request against the state; the reply a healthy app would send. */
  function dispatch(method: string, path: string, query: URLSearchParams, body: unknown): Reply {
    if (path === '/api/health' && method === 'GET') return { status: 200, json: { status: 'ok' } };
    if (path === '/api/accounts') {
      if (method === 'GET') {
        const { offset, limit } = paging(query);
        const login = query.get('login');
        const all = [...accounts.values()].filter(
          (a) => login === null || login === '' || a.login.toLowerCase() === login.toLowerCase(),
        );
        return {
          status: 200,
          json: { items: all.slice(offset, offset + limit), total: all.length, offset, limit },
        };
      }
      if (method === 'POST') {
        const fields = accountFields(body);
        assertLoginFree(fields.login, undefined);
        const stamp = now();
        const account: Account = { id: nextId++, ...fields, created_at: stamp, updated_at: stamp };
        accounts.set(account.id, account);
        return { status: 201, json: { account: { ...account } } };
      }
    }
    const accountPath = /^\/api\/accounts\/(\d+)$/.exec(path);
    if (accountPath) {
      const id = Number(accountPath[1]);
      if (method === 'GET') return { status: 200, json: { account: { ...requireAccount(id) } } };
      if (method === 'PUT') {
        const account = requireAccount(id);
        const fields = accountFields(body);
        assertLoginFree(fields.login, id);
        Object.assign(account, fields, { updated_at: now() });
        return { status: 200, json: { account: { ...account } } };
      }
      if (method === 'DELETE') {
        requireAccount(id);
        accounts.delete(id);
        for (const team of teams.values()) team.members.delete(id);
        return { status: 204 };
      }
    }
    const togglePath = /^\/api\/accounts\/(\d+)\/(enable|disable)$/.exec(path);
    if (togglePath && method === 'POST') {
      const target = requireAccount(Number(togglePath[1]));
      const enabled = togglePath[2] === 'enable';
      if (target.enabled !== enabled) Object.assign(target, { enabled, updated_at: now() });
      return { status: 204 };
    }
    if (path === '/api/teams') {
      if (method === 'GET') {
        const { offset, limit } = paging(query);
        const name = query.get('name');
        const all = [...teams.values()].filter(
          (t) => name === null || name === '' || t.name.toLowerCase() === name.toLowerCase(),
        );
        const items = all
          .slice(offset, offset + limit)
          .map((t) => ({ id: t.id, name: t.name, member_count: t.members.size }));
        return { status: 200, json: { items, total: all.length } };
      }
      if (method === 'POST') {
        const fields = teamFields(body);
        assertTeamNameFree(fields.name, undefined);
        const team = { id: nextId++, ...fields };
        teams.set(team.id, team);
        return { status: 201, json: { team: toTeam(team) } };
      }
    }
    const teamPath = /^\/api\/teams\/(\d+)$/.exec(path);
    if (teamPath) {
      const id = Number(teamPath[1]);
      if (method === 'GET') return { status: 200, json: { team: toTeam(requireTeam(id)) } };
      if (method === 'PUT') {
        const team = requireTeam(id);
        const fields = teamFields(body);
        assertTeamNameFree(fields.name, id);
        Object.assign(team, fields);
        return { status: 200, json: { team: toTeam(team) } };
      }
      if (method === 'DELETE') {
        requireTeam(id);
        teams.delete(id);
        return { status: 204 };
      }
    }
    const membersPath = /^\/api\/teams\/(\d+)\/members$/.exec(path);
    if (membersPath && method === 'POST') {
      const target = requireTeam(Number(membersPath[1]));
      const accountId = record(body).account_id;
      if (typeof accountId !== 'number' || !accounts.has(accountId)) {
        throw new HttpError(400, { error: 'validation_failed', fields: { account_id: 'unknown account' } });
      }
      target.members.add(accountId);
      return { status: 204 };
    }
    const memberPath = /^\/api\/teams\/(\d+)\/members\/(\d+)$/.exec(path);
    if (memberPath && method === 'DELETE') {
      requireTeam(Number(memberPath[1])).members.delete(Number(memberPath[2]));
      return { status: 204 };
    }
    return { status: 404, json: { error: 'not_found' } };
  }

  function run(method: string, path: string, query: URLSearchParams, body: unknown): Reply {
    try {
      return dispatch(method, path, query, body);
    } catch (error) {
      if (error instanceof HttpError) return { status: error.status, json: error.json };
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------
  // HTTP and faults
  // -------------------------------------------------------------------------------------------

  function later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  }

  function send(res: ServerResponse, reply: Reply, headers: Record<string, string> = {}): void {
    if (res.destroyed || res.writableEnded) return;
    if (reply.json === undefined) {
      res.writeHead(reply.status, headers);
      res.end();
      return;
    }
    const text = JSON.stringify(reply.json);
    res.writeHead(reply.status, {
      ...headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
    });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    if (req.headers['x-api-key'] !== options.apiKey) {
      requests.push({ method, url, fault: undefined });
      send(res, { status: 401, json: { error: 'unauthorized' } });
      return;
    }
    const fault = schedule?.({ method, url });
    requests.push({ method, url, fault });
    if (fault) faults.set(fault, (faults.get(fault) ?? 0) + 1);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      send(res, { status: 400, json: { error: 'invalid_json' } });
      return;
    }
    const apply = () => run(method, path, query, body);
    switch (fault) {
      case undefined:
        send(res, apply());
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'appliedLost':
        apply();
        req.socket.destroy();
        return;
      case 'slowHeaders': {
        const reply = apply();
        later(slowMs, () => send(res, reply));
        return;
      }
      case 'notFound':
        send(res, { status: 404, json: { error: 'not_found' } });
        return;
      case 'json500':
        send(res, { status: 500, json: { error: 'internal_error', message: 'database is locked' } });
        return;
      case 'html500':
        if (res.destroyed) return;
        res.writeHead(500, { 'content-type': 'text/html; charset=utf-8' });
        res.end(HTML_ERROR_PAGE);
        return;
      case 'tooMany':
        send(
          res,
          { status: 429, json: { error: 'rate_limited', message: 'slow down' } },
          { 'retry-after': retryAfter },
        );
        return;
      case 'unavailable':
        send(
          res,
          { status: 503, json: { error: 'maintenance', message: 'back soon' } },
          { 'retry-after': retryAfter },
        );
        return;
      case 'truncated': {
        const reply = apply();
        // A body the app meant to send, cut in the middle (chunked: the transfer itself completes).
        const full = JSON.stringify(reply.json ?? { status: 'ok', detail: 'done' });
        res.writeHead(reply.status === 204 ? 200 : reply.status, { 'content-type': 'application/json' });
        res.end(full.slice(0, Math.max(1, Math.floor(full.length / 2))));
        return;
      }
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, { status: 500, json: { error: 'internal_error' } });
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    accounts,
    teams,
    requests,
    faults,
    setSchedule(next) {
      schedule = next;
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      return new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

// ---------------------------------------------------------------------------------------------
// Schedules
// ---------------------------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, so a fault schedule is the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, to derive a per-request seed from the request itself. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Faults at a fixed rate, kinds drawn evenly. The draw depends on the seed, the request
 * (method and URL) and how many times that same request was seen before, not on arrival order:
 * calls the sidecar fans out in parallel get the same faults on every run.
 */
export function seededSchedule(
  seed: number,
  rate: number,
  kinds: readonly FaultKind[] = FAULT_KINDS,
): FaultSchedule {
  const seen = new Map<string, number>();
  return ({ method, url }) => {
    const key = `${method} ${url}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    const random = seededRandom(hash(`${seed}|${key}|${n}`));
    if (random() >= rate) return undefined;
    return kinds[Math.floor(random() * kinds.length)];
  };
}
