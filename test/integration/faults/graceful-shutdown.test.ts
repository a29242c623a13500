/**
 * Graceful shutdown: requests in flight when `app.close()` is called complete normally; what
 * arrives after that is turned away, and says so the SCIM way.
 *
 * The app behind the sidecar is slow (the demo app with added latency), so requests are
 * provably still waiting on it when the close starts: the test waits until each one has been
 * dispatched to the app before closing.
 */

import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/app.js';
import { type DemoApp, startDemoApp } from '../../../src/demo/demo-app.js';
import { MemoryIdMapStore } from '../../../src/idmap/memory-store.js';
import { loadMapping } from '../../../src/mapping/load-mapping.js';
import { scimErrorViolation } from '../../helpers/scim-invariants.js';
import {
  BASE_PATH,
  DEMO_MAPPING_FILE,
  deploymentConfig,
  entraUser,
  patchOp,
  SCIM_TOKEN,
  type ScimResource,
  send,
  UPSTREAM_API_KEY,
} from '../../helpers/sidecar.js';

const LATENCY_MS = 400;

type FastifyApp = Awaited<ReturnType<typeof buildApp>>;

interface Rig {
  demo: DemoApp;
  app: FastifyApp;
  port: number;
  /** Calls dispatched to the app so far. */
  dispatched: string[];
  toApp: Agent;
  clients: Agent;
  userId: string;
  /** The close() under test, once started. */
  closing?: Promise<void>;
}

let rig: Rig | undefined;
const report: string[] = [];

beforeEach(async () => {
  const demo = await startDemoApp({ apiKey: UPSTREAM_API_KEY, latencyMs: LATENCY_MS });
  const dispatched: string[] = [];
  const toApp = new Agent();
  const dispatcher = toApp.compose((dispatch) => (options, handler) => {
    dispatched.push(`${options.method} ${options.path}`);
    return dispatch(options, handler);
  });
  const app = await buildApp(deploymentConfig(demo.url, DEMO_MAPPING_FILE), loadMapping(DEMO_MAPPING_FILE), {
    dispatcher,
    idMapStore: new MemoryIdMapStore(),
    logger: pino({ level: 'silent' }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const created = await send(app, 'POST', `${BASE_PATH}/Users`, { body: entraUser('resident@contoso.test') });
  expect(created.status, created.text).toBe(201);
  rig = {
    demo,
    app,
    port,
    dispatched,
    toApp,
    clients: new Agent(),
    userId: (created.json as ScimResource).id,
  };
});

afterEach(async () => {
  if (!rig) return;
  // Whatever the test left open: the clients' keep-alive sockets would hold close() for a minute.
  await rig.clients.destroy();
  rig.app.server.closeAllConnections();
  await (rig.closing ?? rig.app.close());
  await rig.toApp.close();
  await rig.demo.close();
  rig = undefined;
});

afterAll(() => {
  console.log(report.map((line) => `[shutdown] ${line}`).join('\n'));
});

/** A SCIM request over a real connection. */
async function http(r: Rig, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) {
  const response = await request(`http://127.0.0.1:${r.port}${BASE_PATH}${path}`, {
    method,
    dispatcher: r.clients,
    headers: {
      authorization: `Bearer ${SCIM_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
    },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await response.body.text();
  return { status: response.statusCode, text };
}

/** Starts the close under test. */
function startClose(r: Rig): Promise<void> {
  r.closing = r.app.close();
  return r.closing;
}

/** How long `closing` took to resolve, or undefined when it had not within `limitMs`. */
async function settleWithin(
  closing: Promise<void>,
  startedAt: number,
  limitMs: number,
): Promise<number | undefined> {
  const timeout = sleep(limitMs, 'timeout' as const);
  const result = await Promise.race([closing.then(() => 'closed' as const), timeout]);
  return result === 'closed' ? performance.now() - startedAt : undefined;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Writes a request on an open socket and reads one answer (status, headers, body). */
async function onSocket(
  socket: Socket,
  target: string,
): Promise<{ status: number; headers: Record<string, string>; text: string }> {
  let buffer = '';
  const answer = new Promise<{ status: number; headers: Record<string, string>; text: string }>(
    (resolve, reject) => {
      const onData = (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) return;
        const lines = buffer.slice(0, end).split('\r\n');
        const headers: Record<string, string> = {};
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(':');
          headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
        }
        const length = Number(headers['content-length'] ?? 0);
        const body = buffer.slice(end + 4);
        if (Buffer.byteLength(body) < length) return;
        socket.off('data', onData);
        socket.off('close', onClose);
        buffer = Buffer.from(body).subarray(length).toString('utf8');
        resolve({
          status: Number(lines[0]?.split(' ')[1]),
          headers,
          text: Buffer.from(body).subarray(0, length).toString('utf8'),
        });
      };
      const onClose = () => reject(new Error(`connection closed before an answer to ${target}`));
      socket.on('data', onData);
      socket.once('close', onClose);
    },
  );
  socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${SCIM_TOKEN}\r\n\r\n`);
  return answer;
}

describe('graceful shutdown', () => {
  it('requests in flight when close() starts complete normally', async () => {
    const r = rig;
    if (!r) throw new Error('no rig');
    const before = r.dispatched.length;
    const inFlight = [
      http(r, 'GET', `/Users/${r.userId}`),
      http(r, 'GET', `/Users?filter=${encodeURIComponent('userName eq "resident@contoso.test"')}`),
      http(r, 'POST', '/Users', entraUser('latecomer@contoso.test')),
      http(
        r,
        'PATCH',
        `/Users/${r.userId}`,
        patchOp({ op: 'replace', path: 'title', value: 'Closing time' }),
      ),
      http(r, 'GET', '/Groups'),
    ];
    await waitFor(() => r.dispatched.length >= before + inFlight.length, 'every request to reach the app');

    const startedClosing = performance.now();
    startClose(r);
    const answers = await Promise.all(inFlight);
    const answeredMs = performance.now() - startedClosing;
    report.push(
      `in flight at close(): ${answers.map((a) => a.status).join(' ')}, answered ${answeredMs.toFixed(0)} ms after close() started`,
    );

    expect(answers.map((a) => a.status)).toEqual([200, 200, 201, 204, 200]);
    expect(
      r.demo.store.listAccounts({ login: 'latecomer@contoso.test' }).total,
      'the create went through',
    ).toBe(1);
    expect(r.demo.store.listAccounts({ login: 'resident@contoso.test' }).items[0]?.title).toBe(
      'Closing time',
    );
  });

  it('close() resolves soon after the last in-flight answer, even with keep-alive clients', async () => {
    const r = rig;
    if (!r) throw new Error('no rig');
    const before = r.dispatched.length;
    // Keep-alive, as IdPs connect: the connection stays open after its answer.
    const inFlight = http(r, 'GET', `/Users/${r.userId}`);
    await waitFor(() => r.dispatched.length > before, 'the request to reach the app');
    const startedClosing = performance.now();
    const closing = startClose(r);
    expect((await inFlight).status).toBe(200);
    const closeMs = await settleWithin(closing, startedClosing, 3_000);
    report.push(
      `close() with a keep-alive client whose request was in flight: ${closeMs === undefined ? 'still pending after 3000 ms' : `${closeMs.toFixed(0)} ms`}`,
    );
    expect(
      closeMs,
      'close() still pending 3 s after the last answer (keep-alive sockets left open)',
    ).toBeDefined();
  });

  it('a new connection after close() is refused', async () => {
    const r = rig;
    if (!r) throw new Error('no rig');
    const inFlight = http(r, 'GET', `/Users/${r.userId}`);
    await waitFor(() => r.dispatched.length >= 2, 'the request to reach the app');
    startClose(r);
    await waitFor(() => !r.app.server.listening, 'the server to stop listening');
    const socket = connect({ host: '127.0.0.1', port: r.port });
    const outcome = await new Promise<string>((resolve) => {
      socket.once('connect', () => resolve('connected'));
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    socket.destroy();
    report.push(`new connection during close(): ${outcome}`);
    expect((await inFlight).status).toBe(200);
    expect(outcome).toBe('ECONNREFUSED');
  });

  it('a kept-alive connection is closed after its answer; a request that still gets through is a SCIM 503', async () => {
    const r = rig;
    if (!r) throw new Error('no rig');
    // One connection, kept alive: a first request in flight, a second one sent once close() started.
    const socket = connect({ host: '127.0.0.1', port: r.port });
    await once(socket, 'connect');
    const before = r.dispatched.length;
    const first = onSocket(socket, `${BASE_PATH}/Users/${r.userId}`);
    await waitFor(() => r.dispatched.length > before, 'the first request to reach the app');
    startClose(r);
    const firstAnswer = await first;
    let second: { status: number; headers: Record<string, string>; text: string } | string;
    try {
      second = await onSocket(socket, `${BASE_PATH}/Users/${r.userId}`);
    } catch (error) {
      second = error instanceof Error ? error.message : String(error);
    }
    socket.destroy();
    const shown =
      typeof second === 'string'
        ? second
        : `${second.status} ${second.headers['content-type']} retry-after=${second.headers['retry-after']} ${second.text}`;
    report.push(`second request on an open connection during close(): ${shown}`);

    expect(firstAnswer.status).toBe(200);
    // The answer in flight tells the client to reconnect (elsewhere), so close() need not wait
    // for the idle connection to time out.
    expect(firstAnswer.headers.connection).toBe('close');
    if (typeof second === 'string') return;
    expect(second.status).toBe(503);
    const header = (name: string) => (typeof second === 'string' ? undefined : second.headers[name]);
    expect(scimErrorViolation({ status: second.status, text: second.text, header }), shown).toBeUndefined();
  });
});
