import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoApp, startDemoApp } from '../../../src/demo/demo-app.js';
import { rawRequest, type SecureSidecar, startSecureSidecar } from '../../helpers/security.js';
import { SCIM_TOKEN, UPSTREAM_API_KEY } from '../../helpers/sidecar.js';

const HEALTH_DELAY_MS = 800;

/** The demo app behind a front whose health endpoint is slow, counting the health calls. */
interface SlowHealthApp {
  url: string;
  health: { total: number; inFlight: number; maxInFlight: number };
  close(): Promise<void>;
}

async function startSlowHealthApp(demo: DemoApp): Promise<SlowHealthApp> {
  const target = new URL(demo.url);
  const health = { total: 0, inFlight: 0, maxInFlight: 0 };
  const server: Server = createServer((req, res) => {
    const forward = () => {
      const upstream = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(upstream);
    };
    if (req.url !== '/api/health') return forward();
    health.total++;
    health.inFlight++;
    health.maxInFlight = Math.max(health.maxInFlight, health.inFlight);
    setTimeout(() => {
      health.inFlight--;
      forward();
    }, HEALTH_DELAY_MS);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    health,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('/readyz under a flood of unauthenticated probes', () => {
  let demo: DemoApp;
  let front: SlowHealthApp;
  let sc: SecureSidecar;

  beforeAll(async () => {
    demo = await startDemoApp({ apiKey: UPSTREAM_API_KEY });
    front = await startSlowHealthApp(demo);
    sc = await startSecureSidecar({ upstreamUrl: front.url, listen: true });
  });
  afterAll(async () => {
    await sc?.close();
    await front?.close();
    await demo?.close();
  });

  it('makes one call to the app for 64 probes at once, and SCIM requests do not wait behind them', async () => {
    const probes = Promise.all(Array.from({ length: 64 }, () => rawRequest(sc.port, 'GET', '/readyz')));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    const scim = await rawRequest(sc.port, 'GET', '/scim/v2/Users?count=1', {
      authorization: `Bearer ${SCIM_TOKEN}`,
    });
    const scimMs = performance.now() - started;
    const answers = await probes;

    expect(scim.status).toBe(200);
    expect(scimMs).toBeLessThan(HEALTH_DELAY_MS / 2);
    expect(front.health.total).toBe(1);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ status: 'ready' });
    }
  });

  it('answers from its cached result for a few seconds', async () => {
    const before = front.health.total;
    for (let i = 0; i < 5; i++) expect((await rawRequest(sc.port, 'GET', '/readyz')).status).toBe(200);
    expect(front.health.total).toBe(before);
  });
});

describe('/readyz when the app is not ready', () => {
  it('says so without naming an address, a path or the app’s answer', async () => {
    const demo = await startDemoApp({ apiKey: UPSTREAM_API_KEY });
    const wrongKey = await startSecureSidecar({
      upstreamUrl: demo.url,
      upstreamAuth: { header: { name: 'X-Api-Key', value: 'wrong-key' } },
      listen: true,
      logLevel: 'warn',
    });
    const down = await startSecureSidecar({ upstreamUrl: 'http://127.0.0.1:9', listen: true });
    try {
      for (const sc of [wrongKey, down]) {
        const res = await rawRequest(sc.port, 'GET', '/readyz');
        expect(res.status).toBe(503);
        expect(JSON.parse(res.body)).toEqual({ status: 'not ready' });
      }
      // The reason is the operator's, in the log.
      expect(wrongKey.logs.records()).toContainEqual(
        expect.objectContaining({
          upstreamStatus: 401,
          msg: 'not ready: the app did not pass its health check',
        }),
      );
    } finally {
      await wrongKey.close();
      await down.close();
      await demo.close();
    }
  });
});
