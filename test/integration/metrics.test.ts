import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { startDemoApp } from '../../src/demo/demo-app.js';
import { MemoryIdMapStore } from '../../src/idmap/memory-store.js';
import { loadMapping } from '../../src/mapping/load-mapping.js';
import { hashToken } from '../../src/security/credentials.js';
import {
  DEMO_MAPPING_FILE,
  deploymentConfig,
  entraUser,
  patchOp,
  SCIM_TOKEN,
  type Sidecar,
  send,
  startDemoSidecar,
  startMockSidecar,
  UPSTREAM_API_KEY,
} from '../helpers/sidecar.js';

const ENTRA_AGENT = 'Microsoft Azure Active Directory SCIM Client';
const OKTA_AGENT = 'Okta SCIM Client 1.0.0';

/** One sample of the exposition: `name{labels} value`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key as string] = value as string;
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with this name whose labels include `labels`; undefined when none. */
function sampleValue(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

async function scrape(sidecar: Pick<Sidecar, 'app'>, token?: string) {
  const response = await sidecar.app.inject({
    method: 'GET',
    url: '/metrics',
    ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  });
  return { response, samples: response.statusCode === 200 ? parseExposition(response.body) : [] };
}

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

async function demoSidecar(): Promise<Sidecar> {
  const sidecar = await startDemoSidecar();
  open.push(sidecar);
  return sidecar;
}

describe('/metrics', () => {
  it('counts SCIM requests by resource, operation, status and client profile', async () => {
    const sidecar = await demoSidecar();
    const entra = { 'user-agent': ENTRA_AGENT };
    const created = await sidecar.scim('POST', '/Users', {
      body: entraUser('ada@example.com'),
      headers: entra,
    });
    expect(created.status).toBe(201);
    const id = created.resource().id;
    expect(
      (await sidecar.scim('GET', `/Users/${id}`, { headers: { 'user-agent': OKTA_AGENT } })).status,
    ).toBe(200);
    expect((await sidecar.scim('GET', '/Users?filter=userName eq "ada@example.com"')).status).toBe(200);
    expect((await sidecar.scim('POST', '/Users/.search', { body: { filter: 'userName pr' } })).status).toBe(
      200,
    );
    // Entra's PATCH dialect (capitalised op) marks the request as Entra's even without its User-Agent.
    const patched = await sidecar.scim('PATCH', `/Users/${id}`, {
      body: patchOp({ op: 'Replace', path: 'active', value: 'False' }),
    });
    expect(patched.status).toBe(204);
    expect((await sidecar.scim('PUT', `/Users/${id}`, { body: entraUser('ada@example.com') })).status).toBe(
      200,
    );
    expect((await sidecar.scim('GET', '/ServiceProviderConfig')).status).toBe(200);
    expect((await sidecar.scim('GET', '/Schemas')).status).toBe(200);
    expect((await sidecar.scim('DELETE', `/Users/${id}`)).status).toBe(204);

    const { response, samples } = await scrape(sidecar);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const requests = (labels: Record<string, string>) =>
      sampleValue(samples, 'scim_sidecar_requests_total', labels);
    expect(requests({ resource: 'User', operation: 'create', status: '201', client: 'entra' })).toBe(1);
    expect(requests({ resource: 'User', operation: 'get', status: '200', client: 'okta' })).toBe(1);
    expect(requests({ resource: 'User', operation: 'patch', status: '204', client: 'entra' })).toBe(1);
    expect(requests({ resource: 'User', operation: 'replace', status: '200', client: 'generic' })).toBe(1);
    expect(requests({ resource: 'User', operation: 'delete', status: '204', client: 'generic' })).toBe(1);
    // A filtered GET and a POST /.search are both queries.
    expect(requests({ resource: 'User', operation: 'query', status: '200', client: 'generic' })).toBe(2);
    expect(
      requests({
        resource: 'ServiceProviderConfig',
        operation: 'discovery',
        status: '200',
        client: 'generic',
      }),
    ).toBe(1);
    expect(requests({ resource: 'Schemas', operation: 'discovery', status: '200', client: 'generic' })).toBe(
      1,
    );
    expect(
      sampleValue(samples, 'scim_sidecar_request_duration_seconds_count', {
        resource: 'User',
        operation: 'create',
      }),
    ).toBe(1);
  });

  it('times every call to the app by mapped operation and reports the id map, cache and queue', async () => {
    const sidecar = await demoSidecar();
    const created = await sidecar.scim('POST', '/Users', { body: entraUser('grace@example.com') });
    const id = created.resource().id;
    await sidecar.scim('GET', `/Users/${id}`);
    await sidecar.scim('GET', `/Users/${id}`);

    const { samples } = await scrape(sidecar);
    const upstream = (operation: string) =>
      sampleValue(samples, 'scim_sidecar_upstream_request_duration_seconds_count', {
        operation,
        outcome: '2xx',
      });
    expect(upstream('User.create')).toBeGreaterThanOrEqual(1);
    expect(upstream('User.get')).toBeGreaterThanOrEqual(2);
    expect(
      sampleValue(samples, 'scim_sidecar_upstream_request_duration_seconds_bucket', {
        operation: 'User.get',
        outcome: '2xx',
        le: '+Inf',
      }),
    ).toBe(upstream('User.get'));
    expect(sampleValue(samples, 'scim_sidecar_idmap_entries', { resource_type: 'User' })).toBe(1);
    expect(sampleValue(samples, 'scim_sidecar_idmap_entries', { resource_type: 'Group' })).toBe(0);
    const hits = sampleValue(samples, 'scim_sidecar_idmap_cache_hits_total') ?? Number.NaN;
    const misses = sampleValue(samples, 'scim_sidecar_idmap_cache_misses_total') ?? Number.NaN;
    expect(hits).toBeGreaterThan(0);
    expect(sampleValue(samples, 'scim_sidecar_idmap_cache_hit_ratio')).toBeCloseTo(hits / (hits + misses), 6);
    expect(sampleValue(samples, 'scim_sidecar_upstream_in_flight')).toBe(0);
    expect(sampleValue(samples, 'scim_sidecar_upstream_queue_depth')).toBe(0);
    expect(sampleValue(samples, 'scim_sidecar_info', { app: 'acme-directory' })).toBe(1);
    expect(sampleValue(samples, 'scim_sidecar_config_reloads_total', { result: 'failure' })).toBe(0);
    // The process's own metrics come along.
    expect(samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
  });

  it('counts errors by scimType, or by status class when there is none', async () => {
    const sidecar = await demoSidecar();
    await sidecar.scim('POST', '/Users', { body: entraUser('dup@example.com') });
    expect((await sidecar.scim('POST', '/Users', { body: entraUser('dup@example.com') })).status).toBe(409);
    expect((await sidecar.scim('GET', '/Users?filter=userName zz "x"')).status).toBe(400);
    expect((await sidecar.scim('GET', '/Users/no-such-id')).status).toBe(404);
    expect((await sidecar.scim('GET', '/Users', { token: 'wrong-token' })).status).toBe(401);
    expect((await sidecar.scim('GET', '/NoSuchEndpoint')).status).toBe(404);

    const { samples } = await scrape(sidecar);
    const errors = (labels: Record<string, string>) =>
      sampleValue(samples, 'scim_sidecar_errors_total', labels);
    expect(errors({ type: 'uniqueness', status: '409' })).toBe(1);
    expect(errors({ type: 'invalidFilter', status: '400' })).toBe(1);
    expect(errors({ type: '4xx', status: '404' })).toBe(2);
    expect(errors({ type: '4xx', status: '401' })).toBe(1);
    expect(
      sampleValue(samples, 'scim_sidecar_requests_total', {
        resource: 'none',
        operation: 'unknown',
        status: '404',
      }),
    ).toBe(1);
  });

  it('counts retries of calls to the app', async () => {
    const mapping = [
      'app: flaky',
      'resources:',
      '  User:',
      '    id: id',
      `    toScim: '{ "userName": login }'`,
      `    fromScim: '{ "login": userName }'`,
      '    operations:',
      '      create: { method: POST, path: /users, body: app }',
      '      get: { method: GET, path: "/users/{appId}" }',
      '      list: { method: GET, path: /users }',
    ].join('\n');
    const sidecar = await startMockSidecar(mapping);
    open.push(sidecar);
    // 503 with Retry-After: 0 is retried at once.
    sidecar.fake
      .once('GET', '/users', { status: 503, headers: { 'retry-after': '0' } })
      .on('GET', '/users', { status: 200, json: [] });
    expect((await sidecar.scim('GET', '/Users')).status).toBe(200);

    const { samples } = await scrape(sidecar);
    expect(sampleValue(samples, 'scim_sidecar_upstream_retries_total', { operation: 'User.list' })).toBe(1);
    expect(
      sampleValue(samples, 'scim_sidecar_upstream_request_duration_seconds_count', {
        operation: 'User.list',
        outcome: '5xx',
      }),
    ).toBe(1);
  });

  it('never exposes user names, ids, e-mail addresses or credentials', async () => {
    const sidecar = await demoSidecar();
    const created = await sidecar.scim('POST', '/Users', { body: entraUser('secret.person@example.com') });
    const id = created.resource().id;
    await sidecar.scim('GET', `/Users?filter=userName eq "secret.person@example.com"`);
    await sidecar.scim('GET', `/Users/${id}`);
    await sidecar.scim('GET', '/Users', { token: 'a-guessed-token-value' });

    const { response } = await scrape(sidecar);
    for (const secret of [
      'secret.person',
      'example.com',
      id,
      SCIM_TOKEN,
      UPSTREAM_API_KEY,
      'a-guessed-token',
    ]) {
      expect(response.body).not.toContain(secret);
    }
  });

  it('keeps the counts of several apps in one process apart', async () => {
    const first = await demoSidecar();
    const second = await demoSidecar();
    await first.scim('GET', '/ServiceProviderConfig');
    await first.scim('GET', '/ServiceProviderConfig');
    await second.scim('GET', '/ServiceProviderConfig');
    const labels = { resource: 'ServiceProviderConfig', operation: 'discovery', status: '200' };
    expect(sampleValue((await scrape(first)).samples, 'scim_sidecar_requests_total', labels)).toBe(2);
    expect(sampleValue((await scrape(second)).samples, 'scim_sidecar_requests_total', labels)).toBe(1);
  });
});

describe('/metrics settings', () => {
  async function demoApp(metrics: { enabled: boolean; path: string; bearerTokenHash?: string }) {
    const demo = await startDemoApp({ apiKey: UPSTREAM_API_KEY });
    const config = { ...deploymentConfig(demo.url, DEMO_MAPPING_FILE), metrics };
    const app = await buildApp(config, loadMapping(DEMO_MAPPING_FILE), {
      idMapStore: new MemoryIdMapStore(),
      logger: pino({ level: 'silent' }),
    });
    const handle = {
      app,
      async close() {
        await app.close();
        await demo.close();
      },
    };
    open.push(handle);
    return handle;
  }

  it('asks for the configured bearer token when one is set', async () => {
    const token = 'metrics-scraper-token-5c1d';
    const sidecar = await demoApp({ enabled: true, path: '/metrics', bearerTokenHash: hashToken(token) });
    const anonymous = await scrape(sidecar);
    expect(anonymous.response.statusCode).toBe(401);
    expect(anonymous.response.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    expect((await scrape(sidecar, 'not-the-token')).response.statusCode).toBe(401);
    // The SCIM token is not the metrics token.
    expect((await scrape(sidecar, SCIM_TOKEN)).response.statusCode).toBe(401);
    const allowed = await scrape(sidecar, token);
    expect(allowed.response.statusCode).toBe(200);
    expect(allowed.samples.some((s) => s.name === 'scim_sidecar_info')).toBe(true);
  });

  it('serves at the configured path, and not at all when disabled', async () => {
    const moved = await demoApp({ enabled: true, path: '/internal/prometheus' });
    const response = await moved.app.inject({ method: 'GET', url: '/internal/prometheus' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('scim_sidecar_requests_total');

    const disabled = await demoApp({ enabled: false, path: '/metrics' });
    // The path is then the app's, reached through the passthrough.
    const passedThrough = await send(disabled.app, 'GET', '/metrics', { token: null });
    expect(passedThrough.text).not.toContain('scim_sidecar_');
  });
});
