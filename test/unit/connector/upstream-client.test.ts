/**
 * The client every mapped call to the app goes through, against a real server on port 0: what
 * goes over the wire (an app mounted below `/`, the query, the credentials), what comes back
 * (headers, JSON or not), and the limits (one deadline for the whole call, waiting for a
 * connection included; answers too large to hold).
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamClient, type UpstreamRequest } from '../../../src/connector/upstream-client.js';
import { ScimError } from '../../../src/scim/errors.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Answer = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let origin: string;
const seen: Seen[] = [];
let answer: Answer = (_req, res) => res.end();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const clients: UpstreamClient[] = [];
afterEach(async () => {
  seen.length = 0;
  answer = (_req, res) => res.end();
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

function client(
  options: { baseUrl?: string; timeoutMs?: number; concurrency?: number } = {},
): UpstreamClient {
  const created = new UpstreamClient({
    baseUrl: options.baseUrl ?? origin,
    auth: { header: { name: 'X-Api-Key', value: 'k-123' } },
    timeoutMs: options.timeoutMs ?? 5_000,
    concurrency: options.concurrency ?? 4,
  });
  clients.push(created);
  return created;
}

function call(overrides: Partial<UpstreamRequest> = {}): UpstreamRequest {
  return { method: 'GET', path: '/api/accounts/7', query: [], headers: {}, body: undefined, ...overrides };
}

function json(status: number, body: unknown, headers: Record<string, string | string[]> = {}): Answer {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
}

async function failure(promise: Promise<unknown>): Promise<ScimError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ScimError);
  return error as ScimError;
}

describe('UpstreamClient', () => {
  it('sends the call below the base URL path, with its query, body and credentials', async () => {
    answer = json(201, { id: 9 });
    const response = await client({ baseUrl: `${origin}/legacy/` }).send(
      call({
        method: 'POST',
        path: '/api/accounts',
        query: [
          ['login', 'a b&c'],
          ['limit', '1'],
        ],
        headers: { 'x-trace': 't1' },
        body: { login: 'ada' },
      }),
    );
    expect(response).toEqual({
      status: 201,
      headers: expect.objectContaining({ 'content-type': 'application/json' }),
      body: { id: 9 },
      unparsable: false,
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.method).toBe('POST');
    expect(seen[0]?.url).toBe('/legacy/api/accounts?login=a+b%26c&limit=1');
    expect(seen[0]?.body).toBe('{"login":"ada"}');
    expect(seen[0]?.headers).toMatchObject({
      'x-api-key': 'k-123',
      'x-trace': 't1',
      accept: 'application/json',
      'content-type': 'application/json',
    });
  });

  it('names the same URL it calls', () => {
    expect(client({ baseUrl: `${origin}/legacy/` }).url(call({ query: [['q', 'x y']] }))).toBe(
      `${origin}/legacy/api/accounts/7?q=x+y`,
    );
  });

  it('joins repeated headers, and tells an empty answer from one that is not JSON', async () => {
    answer = (_req, res) => {
      res.writeHead(204, { 'set-cookie': ['a=1', 'b=2'] });
      res.end();
    };
    const empty = await client().send(call({ method: 'DELETE' }));
    expect(empty).toMatchObject({ status: 204, body: undefined, unparsable: false });
    expect(empty.headers['set-cookie']).toBe('a=1, b=2');

    answer = (_req, res) => {
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end('<html>Internal error</html>');
    };
    expect(await client().send(call())).toMatchObject({ status: 500, body: undefined, unparsable: true });
  });

  it('answers a status of any kind as it came, without throwing', async () => {
    answer = json(404, { error: 'Not found' });
    expect(await client().send(call())).toMatchObject({ status: 404, body: { error: 'Not found' } });
  });

  it('cuts a call off at its deadline and names it a gateway timeout', async () => {
    answer = (_req, res) => {
      setTimeout(() => json(200, { id: 7 })(_req, res), 1_500).unref();
    };
    const started = performance.now();
    const error = await failure(client().send(call(), 200));
    const elapsed = performance.now() - started;
    expect(error.status).toBe(504);
    expect(error.message).toContain('GET /api/accounts/7');
    // undici's own header timer is coarse; the call's deadline is not.
    expect(elapsed).toBeLessThan(1_000);
  });

  it('counts the wait for a free connection into the deadline', async () => {
    const held: ServerResponse[] = [];
    answer = (_req, res) => held.push(res);
    const oneConnection = client({ concurrency: 1, timeoutMs: 5_000 });
    const first = oneConnection.send(call({ path: '/api/accounts/1' }), 3_000);
    // The second call waits behind the first for the only connection, past its own deadline.
    const started = performance.now();
    const error = await failure(oneConnection.send(call({ path: '/api/accounts/2' }), 200));
    expect(error.status).toBe(504);
    expect(performance.now() - started).toBeLessThan(1_000);
    for (const res of held) json(200, { id: 1 })(undefined as unknown as IncomingMessage, res);
    expect((await first).status).toBe(200);
    // The call cut off while it waited never reached the app.
    expect(seen.map((s) => s.url)).toEqual(['/api/accounts/1']);
  });

  it('refuses an answer larger than 16 MB as a bad gateway, and stays usable', async () => {
    const big = Buffer.alloc(17 * 1024 * 1024, 'a');
    answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(big);
    };
    const error = await failure(client().send(call()));
    expect(error.status).toBe(502);
    expect(error.message).toContain('too large');

    answer = json(200, { id: 7 });
    expect((await client().send(call())).body).toEqual({ id: 7 });
  });

  it('names a refused connection: the app is not reachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failure(client({ baseUrl: `http://127.0.0.1:${port}` }).send(call()));
    expect(error.status).toBe(503);
  });
});
