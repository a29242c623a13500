import { createServer, request as httpRequest } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashPassword, hashToken } from '../../../src/security/credentials.js';
import {
  JwksServer,
  type RawResponse,
  type RecordingApp,
  rawRequest,
  type SecureSidecar,
  signToken,
  startRecordingApp,
  startSecureSidecar,
} from '../../helpers/security.js';
import { SCIM_TOKEN } from '../../helpers/sidecar.js';

const BASIC_USER = 'scim-provisioner';
const BASIC_PASSWORD = 'correct-horse-battery-staple-9';
const base64 = (text: string) => Buffer.from(text).toString('base64');

let app: RecordingApp;
let jwks: JwksServer;
let sc: SecureSidecar;

beforeAll(async () => {
  app = await startRecordingApp();
  jwks = await JwksServer.start();
  sc = await startSecureSidecar({
    upstreamUrl: app.url,
    listen: true,
    auth: {
      bearer: { tokens: [{ name: 'entra', hash: hashToken(SCIM_TOKEN) }] },
      basic: { username: BASIC_USER, passwordHash: hashPassword(BASIC_PASSWORD) },
      jwt: jwks.config(),
    },
  });
});

afterAll(async () => {
  await sc?.close();
  await jwks?.close();
  await app?.close();
});

beforeEach(() => {
  app.received.length = 0;
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A request that announces its body with `Expect: 100-continue` and sends it only after the
 * interim 100 answer, as curl and .NET clients do; resolves with the interim and final answers.
 */
function expectContinue(
  port: number,
  path: string,
  body: string,
): Promise<{ interim: string; final: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let interim = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (!interim && received.startsWith('HTTP/1.1 100')) {
        const end = received.indexOf('\r\n\r\n');
        if (end === -1) return;
        interim = received.slice(0, end);
        received = received.slice(end + 4);
        socket.write(body);
        return;
      }
      if (/^HTTP\/1\.1 [2-5]\d\d/.test(received) && received.includes('\r\n\r\n')) {
        const [head = '', rest = ''] = received.split('\r\n\r\n');
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (Buffer.byteLength(rest, 'latin1') >= length) {
          socket.destroy();
          resolve({ interim, final: received });
        }
      }
    });
    socket.on('error', reject);
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: text/plain\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`,
    );
  });
}

/** A body sent with chunked transfer coding (no Content-Length), as a streaming client does. */
function chunkedPost(port: number, path: string, body: Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path,
        headers: { 'content-type': 'text/plain' },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    for (let i = 0; i < body.length; i += 1024) req.write(body.subarray(i, i + 1024));
    req.end();
  });
}

describe('Expect: 100-continue on the passthrough', () => {
  it('is answered for a GET, which reaches the app without the Expect header', async () => {
    const res = await rawRequest(sc.port, 'GET', '/public/hello', { expect: '100-continue' });
    expect(res.status).toBe(200);
    expect(app.received).toHaveLength(1);
    expect(app.received[0]?.headers.expect).toBeUndefined();
  });

  it('lets a POST send its body after the interim 100, and the app receives all of it', async () => {
    const body = 'x'.repeat(50_000);
    const { interim, final } = await expectContinue(sc.port, '/upload', body);
    expect(interim).toMatch(/^HTTP\/1\.1 100 Continue/);
    expect(final).toMatch(/^HTTP\/1\.1 200/);
    expect(app.received.map((r) => [r.method, r.url, r.body.length])).toEqual([['POST', '/upload', 50_000]]);
  });
});

describe('forwarding headers on the passthrough', () => {
  const spoofed = {
    'x-forwarded-for': '6.6.6.6',
    'x-forwarded-host': 'evil.example',
    'x-forwarded-proto': 'https',
    'x-forwarded-port': '443',
    forwarded: 'for=6.6.6.6;host=evil.example;proto=https',
    'x-real-ip': '6.6.6.6',
  };

  it("drop the client's own and carry the sidecar's: client address, scheme and Host", async () => {
    const res = await rawRequest(sc.port, 'GET', '/whoami', { ...spoofed, host: 'public.example:8443' });
    expect(res.status).toBe(200);
    const headers = app.received[0]?.headers ?? {};
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-forwarded-host']).toBe('public.example:8443');
    expect(headers['x-forwarded-port']).toBeUndefined();
    expect(headers.forwarded).toBeUndefined();
    expect(headers['x-real-ip']).toBeUndefined();
  });

  it('keep what a trusted proxy says, with the proxy appended to X-Forwarded-For', async () => {
    const behindProxy = await startSecureSidecar({
      upstreamUrl: app.url,
      listen: true,
      server: { trustedProxies: ['127.0.0.1'] },
    });
    try {
      await rawRequest(behindProxy.port, 'GET', '/whoami', {
        'x-forwarded-for': '203.0.113.9',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'app.example.com',
      });
      const headers = app.received[0]?.headers ?? {};
      expect(headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
      expect(headers['x-forwarded-proto']).toBe('https');
      expect(headers['x-forwarded-host']).toBe('app.example.com');
    } finally {
      await behindProxy.close();
    }
  });

  it('are all dropped, and none set, with forwardedHeaders: strip', async () => {
    const stripping = await startSecureSidecar({
      upstreamUrl: app.url,
      listen: true,
      passthrough: { forwardedHeaders: 'strip' },
    });
    try {
      await rawRequest(stripping.port, 'GET', '/whoami', spoofed);
      const names = Object.keys(app.received[0]?.headers ?? {});
      expect(names.filter((name) => /forward|real-ip/.test(name))).toEqual([]);
    } finally {
      await stripping.close();
    }
  });
});

describe('an unreachable app, seen through the passthrough', () => {
  it('answers 502 with a small body that names no internal address', async () => {
    const port = await closedPort();
    const down = await startSecureSidecar({ upstreamUrl: `http://127.0.0.1:${port}`, listen: true });
    try {
      for (const method of ['GET', 'POST']) {
        const res = await rawRequest(down.port, method, '/anything', {}, method === 'POST' ? 'x' : undefined);
        expect(res.status).toBe(502);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(JSON.parse(res.body)).toEqual({ error: 'Bad Gateway', message: 'The app did not answer' });
        expect(res.body).not.toContain('127.0.0.1');
        expect(res.body).not.toContain(String(port));
        expect(res.body).not.toMatch(/ECONN|FST_|connect/i);
      }
    } finally {
      await down.close();
    }
  });
});

describe("the app's own failures on the passthrough", () => {
  it('are passed on at once: a 503 is not retried behind the client’s back', async () => {
    const busy = await startRecordingApp(() => ({ status: 503, json: { busy: true } }));
    busy.responseHeaders['retry-after'] = '0';
    const proxied = await startSecureSidecar({ upstreamUrl: busy.url, listen: true });
    try {
      const res = await rawRequest(proxied.port, 'GET', '/report');
      expect(res.status).toBe(503);
      expect(busy.received).toHaveLength(1);
    } finally {
      await proxied.close();
      await busy.close();
    }
  });
});

describe('SCIM credentials in any spelling never reach the app', () => {
  const spellings = async (): Promise<Array<[string, string]>> => {
    const jwt = await signToken(await jwks.newKey(`k-${Date.now()}`));
    return [
      ['Bearer and a tab', `Bearer\t${SCIM_TOKEN}`],
      ['another scheme', `Token ${SCIM_TOKEN}`],
      ['no scheme', SCIM_TOKEN],
      ['quoted', `Bearer "${SCIM_TOKEN}"`],
      ['as a parameter', `Bearer token=${SCIM_TOKEN}`],
      ['after another credential', `Bearer app-user-token, Bearer ${SCIM_TOKEN}`],
      ['basic with a tab', `Basic\t${base64(`${BASIC_USER}:guess`)}`],
      ['basic without a scheme', base64(`${BASIC_USER}:${BASIC_PASSWORD}`)],
      ['a JWT with a tab', `Bearer\t${jwt}`],
      ['a JWT without a scheme', jwt],
    ];
  };

  it('strips every spelling', async () => {
    for (const [label, authorization] of await spellings()) {
      app.received.length = 0;
      const res = await rawRequest(sc.port, 'GET', '/api/anything', { authorization });
      expect(res.status, label).toBe(200);
      expect(app.received[0]?.headers.authorization, label).toBeUndefined();
    }
  });

  it("still forwards the app's own credentials", async () => {
    for (const authorization of [
      'Bearer app-user-token',
      'Token app-token',
      `Basic ${base64('alice:wonderland')}`,
    ]) {
      app.received.length = 0;
      await rawRequest(sc.port, 'GET', '/api/anything', { authorization });
      expect(app.received[0]?.headers.authorization).toBe(authorization);
    }
  });
});

describe('request bodies on the passthrough', () => {
  it('are streamed to the app whatever their type and size: the SCIM body limit is not theirs', async () => {
    const size = 2 * 1024 * 1024;
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json']) {
      app.received.length = 0;
      const res = await rawRequest(sc.port, 'POST', '/upload', { 'content-type': type }, 'a'.repeat(size));
      expect(res.status, type).toBe(200);
      expect(app.received[0]?.body.length, type).toBe(size);
    }
  });

  it('are refused with 413 above passthrough.bodyLimit, declared or streamed', async () => {
    const limited = await startSecureSidecar({
      upstreamUrl: app.url,
      listen: true,
      passthrough: { forwardedHeaders: 'set', bodyLimit: 4096 },
    });
    try {
      const small = await rawRequest(
        limited.port,
        'POST',
        '/upload',
        { 'content-type': 'text/plain' },
        'a'.repeat(4096),
      );
      expect(small.status).toBe(200);
      app.received.length = 0;

      const declared = await rawRequest(
        limited.port,
        'POST',
        '/upload',
        { 'content-type': 'text/plain' },
        'a'.repeat(8192),
      );
      expect(declared.status).toBe(413);
      expect(JSON.parse(declared.body)).toEqual({
        error: 'Payload Too Large',
        message: 'The request body is too large',
      });
      expect(app.received).toEqual([]);

      const streamed = await chunkedPost(limited.port, '/upload', Buffer.alloc(64 * 1024, 'a'));
      expect(streamed.status).toBe(413);
      expect(app.received.every((r) => r.body.length <= 4096)).toBe(true);
    } finally {
      await limited.close();
    }
  });
});
