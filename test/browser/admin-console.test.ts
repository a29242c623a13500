/**
 * The admin console as a person uses it, in headless Chromium (Debian's, driven by
 * playwright-core; no browser is downloaded): sign in, follow a SCIM create and a failed one,
 * look a user up, try the playground, and check every page for accessibility (axe-core: no
 * serious or critical violation), for CSP violations, and for use at 1280×800 and 400 px wide.
 * With ADMIN_SCREENSHOTS_DIR set, a screenshot of each page is saved there.
 */

import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import axe from 'axe-core';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSuitePolicy, CHROMIUM_BIN, probeChromium } from '../helpers/admin-browser-policy.js';
import { ADMIN_TOKEN, type AdminSidecar, startAdminSidecar } from '../helpers/admin-sidecar.js';
import { PATCH_OP_SCHEMA, SCIM_TOKEN, USER_SCHEMA } from '../helpers/sidecar.js';

const policy = browserSuitePolicy({ ...probeChromium(), env: process.env });
if (policy.mode === 'fail') throw new Error(policy.message);

const SHOTS = process.env.ADMIN_SCREENSHOTS_DIR;
/** `docs`: the set docs/operations.md shows (every page wide, the status page narrow). */
const SHOT_SET = process.env.ADMIN_SCREENSHOTS_SET ?? 'all';
const WIDE = { width: 1280, height: 800 };
const NARROW = { width: 400, height: 800 };

/**
 * The flags Chromium needs on a closed network, as root, without a GPU (playwright adds
 * --headless and a new empty profile of its own).
 */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

(policy.mode === 'skip' ? describe.skip : describe)(
  'admin console in a browser',
  { timeout: 120_000 },
  () => {
    let sidecar: AdminSidecar;
    let origin: string;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    const cspViolations: string[] = [];
    let createdId = '';
    /** A webhook receiver on loopback: what the notifications POST. */
    let hooks: Server;
    const received: unknown[] = [];

    async function scim(
      method: string,
      path: string,
      body?: unknown,
    ): Promise<{ status: number; json: unknown }> {
      const response = await fetch(`${origin}/scim/v2${path}`, {
        method,
        headers: { authorization: `Bearer ${SCIM_TOKEN}`, 'content-type': 'application/scim+json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, json: text ? (JSON.parse(text) as unknown) : undefined };
    }

    async function shoot(name: string, narrow = false): Promise<void> {
      if (!SHOTS) return;
      if (SHOT_SET === 'docs' && narrow && name !== 'status') return;
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({
        path: join(SHOTS, `admin-${name}${narrow ? '-narrow' : ''}.png`),
        fullPage: true,
      });
    }

    /** axe-core in the page (through the DevTools protocol: the page's CSP is not loosened). */
    async function accessibilityProblems(): Promise<string[]> {
      const results = (await page.evaluate(`${axe.source};
      axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3),
      })))`)) as Array<{ id: string; impact: string | null; help: string; nodes: string[] }>;
      return results
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.join(', ')})`);
    }

    /** Usable at 400 px: nothing wider than the window but the tables, which scroll in their own region. */
    async function overflowsNarrow(): Promise<boolean> {
      // A string: it runs in the page, where `document` is (the test's own types know no DOM).
      return page.evaluate(
        'document.documentElement.scrollWidth > window.innerWidth + 1',
      ) as Promise<boolean>;
    }

    async function checkPage(name: string): Promise<void> {
      expect(await accessibilityProblems(), `${name}: serious or critical accessibility violations`).toEqual(
        [],
      );
      await shoot(name);
      await page.setViewportSize(NARROW);
      expect(await overflowsNarrow(), `${name} is wider than a 400 px window`).toBe(false);
      expect(await accessibilityProblems(), `${name} (narrow): accessibility violations`).toEqual([]);
      await shoot(name, true);
      await page.setViewportSize(WIDE);
    }

    beforeAll(async () => {
      hooks = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => {
          body += chunk.toString('utf8');
        });
        request.on('end', () => {
          received.push(JSON.parse(body) as unknown);
          response.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
      const webhook = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hooks/secret-part`;
      sidecar = await startAdminSidecar({
        publicUrl: null,
        sampleIntervalMs: 1_000,
        admin: { notifications: { webhook, format: 'teams', threshold: 3, windowSec: 300, quietSec: 900 } },
      });
      origin = await sidecar.app.listen({ host: '127.0.0.1', port: 0 });
      browser = await chromium.launch({ executablePath: CHROMIUM_BIN, args: CHROMIUM_ARGS });
      context = await browser.newContext({ viewport: WIDE });
      page = await context.newPage();
      page.on('console', (message) => {
        if (/Content[- ]Security[- ]Policy/i.test(message.text())) cspViolations.push(message.text());
      });
    });

    afterAll(async () => {
      await context?.close();
      await browser?.close();
      await sidecar?.close();
      await new Promise((resolve) => hooks?.close(resolve));
    });

    it('answers 401 without the console credential, and the SCIM token does not open it', async () => {
      const response = await page.goto(`${origin}/admin/status`);
      expect(response?.status()).toBe(401);
      await expect(page.getByRole('heading', { name: 'scim-sidecar admin' }).isVisible()).resolves.toBe(true);
      expect(await accessibilityProblems()).toEqual([]);
      await shoot('login');

      const withScimToken = await context.request.get(`${origin}/admin/status`, {
        headers: { authorization: `Bearer ${SCIM_TOKEN}` },
      });
      expect(withScimToken.status()).toBe(401);

      await page.getByLabel('Console token').fill(SCIM_TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).first().click();
      await expect(page.getByRole('alert').textContent()).resolves.toContain('Sign-in failed');
    });

    it('signs in with the console token and shows the status page', async () => {
      await page.getByLabel('Console token').fill(ADMIN_TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).first().click();
      await page.waitForURL(`${origin}/admin/status`);
      await expect(page.getByRole('heading', { name: 'Status', level: 1 }).isVisible()).resolves.toBe(true);
      await expect(page.getByText('Configuration in force').first().isVisible()).resolves.toBe(true);
      const cookies = await context.cookies();
      expect(cookies.find((c) => c.name === 'scim-sidecar-admin')).toMatchObject({
        httpOnly: true,
        sameSite: 'Strict',
        path: '/admin',
      });
    });

    it('shows a SCIM create in Activity, with the app calls it became', async () => {
      const created = await scim('POST', '/Users', {
        schemas: [USER_SCHEMA],
        userName: 'grace@contoso.com',
        externalId: 'ext-grace',
        active: true,
        name: { givenName: 'Grace', familyName: 'Hopper' },
        emails: [{ value: 'grace@contoso.com', type: 'work', primary: true }],
      });
      expect(created.status).toBe(201);
      createdId = (created.json as { id: string }).id;
      await scim('GET', `/Users/${createdId}`);
      await page.getByRole('link', { name: 'Activity' }).click();
      await page.waitForURL(`${origin}/admin/activity`);
      await expect(page.getByText(createdId).first().isVisible()).resolves.toBe(true);
      await checkPage('activity');
      await page.getByRole('link', { name: 'create User' }).first().click();
      await expect(page.getByRole('heading', { name: 'Calls to the app' }).isVisible()).resolves.toBe(true);
      const calls = await page.getByRole('region', { name: 'Calls to the app' }).textContent();
      expect(calls).toContain('User.create');
      expect(calls).toContain('POST /api/accounts');
      expect(calls).toContain('201');
    });

    it("opens a failed operation and shows the app's message (the app answering 409)", async () => {
      const duplicate = await scim('POST', '/Users', {
        schemas: [USER_SCHEMA],
        userName: 'grace@contoso.com',
        externalId: 'ext-grace-2',
      });
      expect(duplicate.status).toBe(409);
      await page.getByRole('link', { name: 'Activity' }).click();
      await page.getByLabel('Outcome').selectOption('failure');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/outcome=failure/);
      await page.getByRole('link', { name: 'create User' }).first().click();
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain('failure');
      const calls = await page.getByRole('region', { name: 'Calls to the app' }).textContent();
      expect(calls).toContain('409');
      expect(calls).toContain('login already exists');
      await checkPage('activity-detail');
    });

    it('groups the failure on the Errors page, linking to its operations', async () => {
      await page.getByRole('link', { name: 'Errors' }).click();
      await page.waitForURL(`${origin}/admin/errors`);
      await checkPage('errors');
      await page.getByRole('link', { name: '409 uniqueness' }).click();
      await page.waitForURL(/status=409/);
      await expect(page.getByText('1 shown').isVisible()).resolves.toBe(true);
    });

    it('looks the new user up by externalId', async () => {
      await page.getByRole('link', { name: 'Lookup' }).click();
      await page.getByLabel('Find by').selectOption('externalId');
      await page.getByLabel('Value').fill('ext-grace');
      await page.getByRole('button', { name: 'Look up' }).click();
      await page.waitForURL(/value=ext-grace/);
      await expect(page.getByLabel('Id map entry', { exact: true }).textContent()).resolves.toContain(
        createdId,
      );
      await expect(page.getByLabel('Live SCIM view').textContent()).resolves.toContain('grace@contoso.com');
      await checkPage('lookup');
    });

    it('runs the playground on a PATCH: the calls the app would receive, nothing sent', async () => {
      await page.getByRole('link', { name: 'Playground' }).click();
      await page.getByLabel('Method').selectOption('PATCH');
      await page.getByLabel(/^Path below the SCIM base path/).fill(`/Users/${createdId}`);
      await page.getByLabel('Body (JSON)').fill(
        JSON.stringify({
          schemas: [PATCH_OP_SCHEMA],
          Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
        }),
      );
      await page.getByRole('button', { name: 'Show the app calls' }).click();
      const plan = await page.getByLabel('Planned app calls').textContent();
      expect(plan).toContain('# User.get (sent: a read, to know the current state)');
      expect(plan).toMatch(/# User\.deactivate|# User\.update/);
      expect(plan).toContain('x-api-key: [redacted]');
      const still = await scim('GET', `/Users/${createdId}`);
      expect((still.json as { active: boolean }).active).toBe(true);
      await checkPage('playground');
    });

    it('draws the charts and lists notifications', async () => {
      for (let i = 0; i < 4; i++) {
        await scim('GET', '/Users?filter=userName%20eq%20%22grace%40contoso.com%22');
        await scim('GET', '/Users/no-such-id');
        await new Promise((resolve) => setTimeout(resolve, 600));
      }
      await page.getByRole('link', { name: 'Charts' }).click();
      await expect(page.locator('figure.chart svg').count()).resolves.toBe(3);
      await checkPage('charts');
      // The 409 and the 404s crossed the threshold of 3: one Teams message went out.
      expect(received).toHaveLength(1);
      expect(JSON.stringify(received[0])).toContain('AdaptiveCard');
      await page.getByRole('link', { name: 'Notifications' }).click();
      await expect(page.getByText('threshold crossed').isVisible()).resolves.toBe(true);
      await page.getByRole('button', { name: 'Send a test notification' }).click();
      await expect(page.getByRole('status').textContent()).resolves.toContain('Test notification delivered');
      expect(received).toHaveLength(2);
      await checkPage('notifications');
      await page.getByRole('link', { name: 'Status' }).click();
      await checkPage('status');
    });

    it('met no Content-Security-Policy violation on any page', () => {
      expect(cspViolations).toEqual([]);
    });

    it('signs out', async () => {
      await page.getByRole('button', { name: /Sign out/ }).click();
      await page.waitForURL(`${origin}/admin/login`);
      const response = await page.goto(`${origin}/admin/status`);
      expect(response?.status()).toBe(401);
    });
  },
);
