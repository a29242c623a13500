import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ActivityRing } from '../../../src/admin/activity-ring.js';
import { FailureStats } from '../../../src/admin/failure-stats.js';
import { html } from '../../../src/admin/html.js';
import { MetricsHistory } from '../../../src/admin/metrics-history.js';
import { FailureNotifier, type FailureSummary, formatPayload } from '../../../src/admin/notifier.js';
import { keptBody, type ProvisioningActivity } from '../../../src/ops/activity.js';
import type { AuditOutcome } from '../../../src/ops/audit.js';

function activity(
  outcome: AuditOutcome,
  status: number,
  extra: Partial<ProvisioningActivity> = {},
): ProvisioningActivity {
  return {
    time: new Date(1_000_000).toISOString(),
    audit: {
      requestId: 'req-1',
      principal: 'entra',
      authMethod: 'bearer',
      clientIp: '127.0.0.1',
      operation: 'create',
      resourceType: 'User',
      scimId: 's1',
      appId: '1',
      app: 'demo',
      outcome,
      status,
      upstreamStatus: status === 409 ? 409 : 201,
      upstreamCalls: 1,
      durationMs: 3,
    },
    method: 'POST',
    path: '/scim/v2/Users',
    clientProfile: 'entra',
    bodyRedacted: true,
    calls: [
      { operation: 'User.create', method: 'POST', path: '/api/accounts', status, durationMs: 2, attempt: 1 },
    ],
    callsOmitted: 0,
    ...(status === 409 ? { scimType: 'uniqueness' } : {}),
    ...extra,
  };
}

describe('html', () => {
  it('escapes every interpolated value, except Html itself', () => {
    const evil = '<script>alert("x")</script>&\'';
    expect(html`<p title="${evil}">${evil}${html`<b>ok</b>`}${[1, '<i>']}${undefined}${false}</p>`.text).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;<b>ok</b>1&lt;i&gt;</p>',
    );
  });
});

describe('ActivityRing', () => {
  it('keeps the latest operations, newest first, and forgets the oldest once full', () => {
    const ring = new ActivityRing(3);
    for (let i = 0; i < 5; i++) ring.add(activity('success', 201, { path: `/p${i}` }));
    expect(ring.size).toBe(3);
    expect(ring.list().map((a) => a.path)).toEqual(['/p4', '/p3', '/p2']);
    expect(ring.get(5)?.path).toBe('/p4');
    expect(ring.get(2)).toBeUndefined();
    expect(ring.get(6)).toBeUndefined();
  });

  it('filters on outcome, resource type, client, time, status, scimType and app status', () => {
    const ring = new ActivityRing(10);
    ring.add(activity('success', 201));
    ring.add(activity('failure', 409));
    ring.add(activity('denied', 401, { clientProfile: 'generic', time: new Date(5_000_000).toISOString() }));
    expect(ring.list({ outcome: 'failure' })).toHaveLength(1);
    expect(ring.list({ clientProfile: 'generic' })).toHaveLength(1);
    expect(ring.list({ since: 2_000_000 })).toHaveLength(1);
    expect(ring.list({ status: 409, scimType: 'uniqueness' })).toHaveLength(1);
    expect(ring.list({ appStatus: '201' })).toHaveLength(2);
    expect(ring.list({ resourceType: 'Group' })).toHaveLength(0);
  });
});

describe('FailureStats', () => {
  it('groups failures and refusals by SCIM answer and by app answer over the last hour and day', () => {
    let now = 1_000_000 + 2 * 3_600_000;
    const stats = new FailureStats(100, () => now);
    stats.record(activity('success', 201));
    stats.record(activity('failure', 409));
    stats.record(activity('failure', 409, { time: new Date(now - 60_000).toISOString() }));
    stats.record(activity('denied', 401, { audit: { ...activity('denied', 401).audit, upstreamCalls: 0 } }));
    const { byScim, byApp } = stats.groups();
    expect(byScim.map((g) => [g.label, g.lastHour, g.lastDay])).toEqual([
      ['409 uniqueness', 1, 2],
      ['401', 0, 1],
    ]);
    expect(byApp.map((g) => [g.label, g.filter])).toEqual([['app 409', { appStatus: '409' }]]);
    now += 25 * 3_600_000;
    expect(stats.groups().byScim).toEqual([]);
  });
});

describe('FailureNotifier', () => {
  const config = {
    webhook: 'https://hooks.test/secret/path',
    format: 'json' as const,
    threshold: 3,
    windowSec: 60,
    quietSec: 600,
  };

  it('sends once when the threshold is crossed within the window, then stays quiet', async () => {
    let now = 0;
    const bodies: unknown[] = [];
    const notifier = new FailureNotifier(config, {
      app: () => 'demo',
      clock: () => now,
      send: async (_url, body) => {
        bodies.push(JSON.parse(body));
        return 204;
      },
    });
    notifier.observe(activity('failure', 409));
    now += 61_000; // the first one leaves the window
    notifier.observe(activity('failure', 409));
    notifier.observe(activity('denied', 401));
    notifier.observe(activity('failure', 502));
    expect(bodies).toHaveLength(0);
    notifier.observe(activity('failure', 409));
    await new Promise((r) => setImmediate(r));
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toMatchObject({ source: 'scim-sidecar', failures: 3, app: 'demo' });
    for (let i = 0; i < 5; i++) notifier.observe(activity('failure', 409));
    await new Promise((r) => setImmediate(r));
    expect(bodies).toHaveLength(1);
    expect(notifier.history()).toMatchObject([
      { reason: 'threshold', outcome: 'delivered', status: 204, failures: 3 },
    ]);
    expect(notifier.target).toBe('hooks.test');
  });

  it('records a webhook that fails, without its secret path', async () => {
    const notifier = new FailureNotifier(config, {
      app: () => 'demo',
      send: async (url) => {
        throw new Error(`connect failed to ${url}`);
      },
    });
    const sent = await notifier.test();
    expect(sent).toMatchObject({ reason: 'test', outcome: 'failed', error: 'connect failed to hooks.test' });
  });

  it('formats generic JSON, Slack and Teams messages with counts only', () => {
    const summary: FailureSummary = {
      app: 'demo',
      failures: 4,
      windowSec: 300,
      threshold: 3,
      since: 'a',
      until: 'b',
      groups: [{ label: '409 uniqueness (User.create)', count: 4 }],
      consoleUrl: 'https://sidecar.test/admin/errors',
    };
    expect(formatPayload('json', summary)).toMatchObject({ event: 'provisioning-failures', failures: 4 });
    const slack = formatPayload('slack', summary) as {
      text: string;
      blocks: Array<{ text: { text: string } }>;
    };
    expect(slack.text).toBe('scim-sidecar (demo): 4 provisioning failures in the last 5 min');
    expect(slack.blocks[1]?.text.text).toContain('4 × 409 uniqueness (User.create)');
    expect(slack.blocks[1]?.text.text).toContain(
      '<https://sidecar.test/admin/errors|Open the admin console>',
    );
    const teams = formatPayload('teams', summary) as {
      type: string;
      attachments: Array<{ contentType: string; content: { type: string; actions: unknown[] } }>;
    };
    expect(teams.type).toBe('message');
    expect(teams.attachments[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(teams.attachments[0]?.content.type).toBe('AdaptiveCard');
    expect(teams.attachments[0]?.content.actions).toHaveLength(1);
  });
});

describe('MetricsHistory', () => {
  it('differences the counters into per-interval points', async () => {
    const registry = new Registry();
    const requests = new Counter({
      name: 'scim_sidecar_requests_total',
      help: 'x',
      labelNames: ['s'],
      registers: [registry],
    });
    const errors = new Counter({ name: 'scim_sidecar_errors_total', help: 'x', registers: [registry] });
    const upstream = new Histogram({
      name: 'scim_sidecar_upstream_request_duration_seconds',
      help: 'x',
      registers: [registry],
    });
    let now = 0;
    const history = new MetricsHistory(registry, () => now);
    await history.sample();
    requests.inc({ s: '200' }, 3);
    requests.inc({ s: '409' }, 1);
    errors.inc(1);
    upstream.observe(0.01);
    upstream.observe(0.03);
    now = 15_000;
    await history.sample();
    now = 30_000;
    await history.sample();
    expect(history.series()).toEqual([
      { at: 15_000, requests: 4, errors: 1, appLatencyMs: 20 },
      { at: 30_000, requests: 0, errors: 0, appLatencyMs: null },
    ]);
  });
});

describe('keptBody', () => {
  it('removes passwords at any depth and cuts very large bodies', () => {
    expect(keptBody({ userName: 'a', password: 'p', x: [{ Password: 'q' }] })).toEqual({
      userName: 'a',
      password: '[removed]',
      x: [{ Password: '[removed]' }],
    });
    expect(String(keptBody({ members: 'x'.repeat(40_000) }))).toContain('cut at 32768 characters');
  });
});
