/**
 * At `info`, each request leaves one line in the log when its answer has gone out: method, path
 * (never the query string, which carries user names), status and time taken. Fastify's own
 * "incoming request" line, which said the same thing twice as often, is not written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SecureSidecar, startSecureSidecar } from '../../helpers/security.js';
import { SCIM_TOKEN } from '../../helpers/sidecar.js';

describe('the access log', () => {
  let sidecar: SecureSidecar;

  beforeAll(async () => {
    sidecar = await startSecureSidecar({ logLevel: 'info' });
  });
  afterAll(async () => sidecar.close());

  it('writes one line per request, after the answer, without the query string', async () => {
    sidecar.logs.clear();
    const answer = await sidecar.app.inject({
      method: 'GET',
      url: '/scim/v2/Users?filter=userName%20eq%20%22ada.lovelace%40contoso.example%22',
      headers: { authorization: `Bearer ${SCIM_TOKEN}` },
    });
    expect(answer.statusCode).toBe(200);
    const lines = sidecar.logs.records().filter((line) => line.req !== undefined || line.res !== undefined);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'request completed',
        req: expect.objectContaining({ method: 'GET', path: '/scim/v2/Users' }),
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
      }),
    ]);
    expect(sidecar.logs.lines.join('\n')).not.toContain('ada.lovelace');
    expect(sidecar.logs.records().map((line) => line.msg)).not.toContain('incoming request');
  });

  it('logs refused requests the same way', async () => {
    sidecar.logs.clear();
    const answer = await sidecar.app.inject({ method: 'GET', url: '/scim/v2/Users' });
    expect(answer.statusCode).toBe(401);
    expect(sidecar.logs.records()).toContainEqual(
      expect.objectContaining({ msg: 'request completed', res: { statusCode: 401 } }),
    );
    expect(sidecar.logs.records().filter((line) => line.msg === 'request completed')).toHaveLength(1);
  });

  it('at debug, also writes the incoming line (requests that never complete show)', async () => {
    const debug = await startSecureSidecar({ logLevel: 'debug' });
    try {
      await debug.app.inject({
        method: 'GET',
        url: '/scim/v2/Users?count=1',
        headers: { authorization: `Bearer ${SCIM_TOKEN}` },
      });
      const messages = debug.logs.records().map((line) => line.msg);
      expect(messages.filter((msg) => msg === 'incoming request')).toHaveLength(1);
      expect(messages.filter((msg) => msg === 'request completed')).toHaveLength(1);
    } finally {
      await debug.close();
    }
  });
});
