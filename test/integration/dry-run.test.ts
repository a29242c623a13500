import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dryRun } from '../../src/cli/dry-run.js';
import { type DemoApp, startDemoApp } from '../../src/demo/demo-app.js';
import { hashToken } from '../../src/security/credentials.js';
import { writeCliConfig } from '../helpers/sidecar.js';

const API_KEY = 'dry-run-upstream-key-0123456789';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('scim-sidecar dry-run', () => {
  let demo: DemoApp;
  let dir: string;
  let config: string;
  let accountId: number;

  beforeAll(async () => {
    demo = await startDemoApp({ apiKey: API_KEY });
    const account = demo.store.createAccount({
      login: 'jdoe',
      first_name: 'John',
      last_name: 'Doe',
      email: 'j@x.test',
    });
    accountId = account.id;
    dir = mkdtempSync(join(tmpdir(), 'scim-sidecar-dry-run-'));
    config = writeCliConfig(dir, demo.url, API_KEY);
  });

  afterAll(async () => {
    await demo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the create request with the body the mapping builds, the API key redacted', async () => {
    const out = await dryRun(config, {
      method: 'POST',
      path: '/Users',
      body: {
        userName: 'new.user@contoso.com',
        name: { givenName: 'New', familyName: 'User' },
        emails: [{ value: 'new.user@contoso.com', type: 'work', primary: true }],
      },
    });
    expect(out).toContain(`# User.create\nPOST ${demo.url}/api/accounts\n`);
    expect(out).toContain('x-api-key: [redacted]');
    expect(out).not.toContain(API_KEY);
    expect(out).toContain('"login": "new.user@contoso.com"');
    expect(out).toContain('"first_name": "New"');
    expect(demo.store.listAccounts({ login: 'new.user@contoso.com' }).total).toBe(0);
  });

  it('shows a filter pushed down to the app search', async () => {
    const out = await dryRun(config, { method: 'GET', path: '/Users?filter=userName eq "jdoe"' });
    expect(out).toContain(`GET ${demo.url}/api/accounts?offset=0&limit=200&login=jdoe\n`);
  });

  it('says when a filter cannot be pushed down', async () => {
    const out = await dryRun(config, { method: 'GET', path: '/Users?filter=title co "x"' });
    expect(out).toContain('the filter is evaluated in the adapter');
  });

  it('plans a PATCH: reads the current state, then only the dedicated disable call', async () => {
    const before = demo.store.getAccount(accountId);
    const out = await dryRun(config, {
      method: 'PATCH',
      path: `/Users/${accountId}`,
      body: { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] },
    });
    expect(out).toContain(`GET ${demo.url}/api/accounts/${accountId}\n`);
    expect(out).toContain(`# User.deactivate\nPOST ${demo.url}/api/accounts/${accountId}/disable\n`);
    expect(out).not.toContain('# User.update');
    expect(demo.store.getAccount(accountId)).toEqual(before);
  });

  it('plans a PATCH against a given current state without calling the app', async () => {
    const out = await dryRun(config, {
      method: 'PATCH',
      path: '/Users/999',
      current: { userName: 'a', name: { givenName: 'A', familyName: 'B' }, active: true },
      body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { 'name.givenName': 'Alice' } }] },
    });
    expect(out).toContain(`# User.update\nPUT ${demo.url}/api/accounts/999\n`);
    expect(out).toContain('"first_name": "Alice"');
    expect(out).not.toContain('GET ');
  });

  it('says when nothing would be written', async () => {
    const out = await dryRun(config, {
      method: 'PATCH',
      path: '/Users/999',
      current: { userName: 'a', active: true },
      body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: true }] },
    });
    expect(out).toContain('nothing changes, so no write is sent');
  });

  it('shows group member calls', async () => {
    const out = await dryRun(config, {
      method: 'PATCH',
      path: '/Groups/5',
      current: { displayName: 'Sales', members: [{ value: '1001' }] },
      body: {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'Add', path: 'members', value: [{ value: '1002' }] },
          { op: 'Remove', path: 'members', value: [{ value: '1001' }] },
        ],
      },
    });
    expect(out).toContain(`# Group.addMember\nPOST ${demo.url}/api/teams/5/members\n`);
    expect(out).toContain('"account_id": 1002');
    expect(out).toContain(`# Group.removeMember\nDELETE ${demo.url}/api/teams/5/members/1001\n`);
  });
});

describe('scim-sidecar dry-run: sub-reads and paging', () => {
  let demo: DemoApp;
  let dir: string;

  /** A config in front of the demo app with a recipe of docs/recipes as its mapping. */
  function configFor(recipe: string): string {
    const file = join(dir, `${recipe}.config.yaml`);
    writeFileSync(
      file,
      [
        'auth:',
        '  bearer:',
        `    tokens: [{ name: t, hash: "${hashToken('x')}" }]`,
        'upstream:',
        `  baseUrl: ${demo.url}`,
        '  auth:',
        `    header: { name: X-Api-Key, value: "${API_KEY}" }`,
        `mapping: ${resolve('docs/recipes', recipe)}`,
        'idMap: { store: memory }',
      ].join('\n'),
    );
    return file;
  }

  beforeAll(async () => {
    demo = await startDemoApp({ apiKey: API_KEY });
    dir = mkdtempSync(join(tmpdir(), 'scim-sidecar-dry-run-paging-'));
  });

  afterAll(async () => {
    await demo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a group read with its members sub-read and how its pages follow', async () => {
    const out = await dryRun(configFor('members-by-login.yaml'), { method: 'GET', path: '/Groups/7' });
    expect(out).toContain(`# Group.get\nGET ${demo.url}/api/teams/7\n`);
    expect(out).toContain(
      `# Group.get.logins (sub-read when the request needs members, merged as "logins"; first page; the next pages: page + 1, 100 a page, until a short page or the total)\nGET ${demo.url}/api/teams/7/logins?page=1&per_page=100\n`,
    );
  });

  it('leaves the members sub-read out when the request excludes members', async () => {
    const out = await dryRun(configFor('members-by-login.yaml'), {
      method: 'GET',
      path: '/Groups/7?excludedAttributes=members',
    });
    expect(out).toContain('# Group.get\n');
    expect(out).not.toContain('logins');
  });

  it('shows the paging parameters of a list and of a search', async () => {
    const config = configFor('page-number-paging.yaml');
    const list = await dryRun(config, { method: 'GET', path: '/Users' });
    expect(list).toBe(
      [
        '# User.list (first page; the next pages: page + 1, 50 a page, until a short page or the total)',
        `GET ${demo.url}/api/accounts?page=1&per_page=50`,
        'accept: application/json',
        'x-api-key: [redacted]',
        '',
      ].join('\n'),
    );
    const scan = await dryRun(config, { method: 'GET', path: '/Users?filter=title co "x"' });
    expect(scan).toContain(
      '# User.list (every page; the filter is evaluated in the adapter; the next pages: page + 1, 50 a page, until a short page or the total)',
    );
  });

  it("shows the push-down replacing the list call's parameter of the same name", async () => {
    const out = await dryRun(configFor('one-search-parameter.yaml'), {
      method: 'GET',
      path: '/Users?filter=userName eq "jdoe"',
    });
    expect(out).toContain(`GET ${demo.url}/api/accounts?offset=0&limit=200&q=jdoe\n`);
  });
});
