/**
 * The legacy app both proxies sit in front of: the demo app's REST shape (mappings/demo.yaml
 * works unchanged) and its data rules (DemoStore), on a leaner HTTP layer than src/demo so the
 * app is never what limits the proxies, plus a count of every call by route for the runner.
 *
 * Run by bench/run.ts as a child process: `node legacy-app.js --api-key KEY`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DemoStore, DemoStoreError, MAX_PAGE_SIZE } from '../src/demo/demo-store.js';
import { argValue, type CallCounts, seededAccount, serveParent } from './ipc.js';

interface Reply {
  status: number;
  body?: unknown;
}

const apiKey = argValue(process.argv.slice(2), '--api-key');
const store = new DemoStore();
const counts = new Map<string, number>();
const samples = new Map<string, string>();

const NOT_FOUND: Reply = { status: 404, body: { error: 'not_found' } };
const NO_CONTENT: Reply = { status: 204 };

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const text = chunks.length === 0 ? '' : Buffer.concat(chunks).toString('utf8');
    let reply: Reply;
    try {
      reply = handle(req, text);
    } catch (error) {
      reply = errorReply(error);
    }
    send(res, reply);
  });
});
server.keepAliveTimeout = 60_000;

function handle(req: IncomingMessage, text: string): Reply {
  if (req.headers['x-api-key'] !== apiKey) return { status: 401, body: { error: 'unauthorized' } };
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const method = req.method ?? 'GET';
  const parts = path.split('/');
  // ['', 'api', collection, id?, action?, memberId?]
  const collection = parts[2];
  const id = parts[3] === undefined ? undefined : Number(parts[3]);
  const action = parts[4];
  const key = `${method} /api/${collection ?? ''}${id === undefined ? '' : '/:id'}${action ? `/${action}` : ''}${parts[5] ? '/:member' : ''}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
  if (!samples.has(key)) samples.set(key, `${method} ${rawUrl}${text ? ` ${text}` : ''}`);
  if (parts[1] !== 'api') return NOT_FOUND;
  const body = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
  const query = new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1));

  if (collection === 'health') return { status: 200, body: { status: 'ok' } };
  if (collection === 'accounts') {
    if (id === undefined) {
      if (method === 'GET') {
        return {
          status: 200,
          body: store.listAccounts({
            login: query.get('login') ?? undefined,
            email: query.get('email') ?? undefined,
            ...paging(query),
          }),
        };
      }
      if (method === 'POST') return { status: 201, body: { account: store.createAccount(body?.account) } };
    } else if (action === undefined) {
      if (method === 'GET') {
        const account = store.getAccount(id);
        return account ? { status: 200, body: { account } } : NOT_FOUND;
      }
      if (method === 'PUT')
        return { status: 200, body: { account: store.replaceAccount(id, body?.account) } };
      if (method === 'DELETE') {
        store.deleteAccount(id);
        return NO_CONTENT;
      }
    } else if ((action === 'enable' || action === 'disable') && method === 'POST') {
      store.setAccountEnabled(id, action === 'enable');
      return NO_CONTENT;
    }
  }
  if (collection === 'teams') {
    if (id === undefined) {
      if (method === 'GET') {
        return {
          status: 200,
          body: store.listTeams({ name: query.get('name') ?? undefined, ...paging(query) }),
        };
      }
      if (method === 'POST') return { status: 201, body: { team: store.createTeam(body?.team) } };
    } else if (action === undefined) {
      if (method === 'GET') {
        const team = store.getTeam(id);
        return team ? { status: 200, body: { team } } : NOT_FOUND;
      }
      if (method === 'PUT') return { status: 200, body: { team: store.replaceTeam(id, body?.team) } };
      if (method === 'DELETE') {
        store.deleteTeam(id);
        return NO_CONTENT;
      }
    } else if (action === 'members') {
      if (method === 'POST' && parts[5] === undefined) {
        store.addTeamMember(id, Number(body?.account_id));
        return NO_CONTENT;
      }
      if (method === 'DELETE' && parts[5] !== undefined) {
        store.removeTeamMember(id, Number(parts[5]));
        return NO_CONTENT;
      }
    }
  }
  return NOT_FOUND;
}

function paging(query: URLSearchParams): { offset: number; limit: number } {
  return {
    offset: Number(query.get('offset') ?? 0),
    limit: Math.min(Number(query.get('limit') ?? 50), MAX_PAGE_SIZE),
  };
}

function errorReply(error: unknown): Reply {
  if (error instanceof DemoStoreError) {
    if (error.code === 'not_found') return NOT_FOUND;
    if (error.code === 'conflict')
      return { status: 409, body: { error: 'conflict', message: error.message } };
    return { status: 400, body: { error: 'validation_failed', fields: error.fields ?? {} } };
  }
  if (error instanceof SyntaxError) return { status: 400, body: { error: 'invalid_json' } };
  return { status: 500, body: { error: 'internal_error' } };
}

function send(res: ServerResponse, reply: Reply): void {
  if (reply.body === undefined) {
    res.writeHead(reply.status);
    res.end();
    return;
  }
  const json = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
  });
  res.end(json);
}

/**
 * Records created in the store directly, without HTTP: every target's users and groups (a
 * sidecar's id map is written to match, see bench/seed.ts), up to groups of 100 000 members.
 */
function seedAccounts(prefix: string, count: number): { ids: number[] } {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) ids.push(store.createAccount(seededAccount(prefix, i)).id);
  return { ids };
}

function seedTeams(prefix: string, count: number, members: number[]): { ids: number[] } {
  const ids: number[] = [];
  for (let i = 0; i < count; i++)
    ids.push(store.createTeam({ name: `${prefix}-${i}`, member_ids: members }).id);
  return { ids };
}

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  serveParent(
    `http://127.0.0.1:${port}`,
    {
      // Samples are cleared on every read: each read shows the first call per route since the last.
      counts: (): CallCounts => {
        const reply = { counts: Object.fromEntries(counts), samples: Object.fromEntries(samples) };
        samples.clear();
        return reply;
      },
      seedAccounts: (request) => seedAccounts(request.prefix, request.count),
      seedTeams: (request) => seedTeams(request.prefix, request.count, request.members),
    },
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
});
