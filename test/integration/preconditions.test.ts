/**
 * RFC 7644 §3.14 versioning: every resource carries meta.version and an ETag; a write whose
 * If-Match names a version that is no longer current is refused with 412 and changes nothing;
 * a GET whose If-None-Match names the current version answers 304. The version changes whenever
 * the resource changes, also when the change was made in the app itself.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scimErrorViolation } from '../helpers/scim-invariants.js';
import {
  type DemoSidecar,
  entraUser,
  GROUP_SCHEMA,
  patchOp,
  type ScimResource,
  startDemoSidecar,
} from '../helpers/sidecar.js';

let sidecar: DemoSidecar;

beforeAll(async () => {
  sidecar = await startDemoSidecar();
});

afterAll(async () => {
  await sidecar?.close();
});

async function createUser(userName: string): Promise<ScimResource> {
  const res = await sidecar.scim('POST', '/Users', { body: entraUser(userName) });
  expect(res.status, res.text).toBe(201);
  return res.resource();
}

const retitle = (title: string) => patchOp({ op: 'replace', path: 'title', value: title });

describe('If-Match on writes', () => {
  it('ServiceProviderConfig advertises ETag support', async () => {
    const res = await sidecar.scim('GET', '/ServiceProviderConfig');
    expect((res.json as { etag: { supported: boolean } }).etag.supported).toBe(true);
  });

  it('PATCH with the current version writes and answers the new version', async () => {
    const user = await createUser('ifmatch-current@contoso.test');
    const res = await sidecar.scim('PATCH', `/Users/${user.id}`, {
      body: retitle('Engineer'),
      headers: { 'if-match': user.meta.version },
    });
    expect(res.status, res.text).toBe(204);
    const etag = res.header('etag');
    expect(etag).toBeDefined();
    expect(etag).not.toBe(user.meta.version);
    const read = await sidecar.scim('GET', `/Users/${user.id}`);
    expect(read.resource().title).toBe('Engineer');
    expect(read.header('etag')).toBe(etag);
  });

  it.each<['PATCH' | 'PUT' | 'DELETE']>([['PATCH'], ['PUT'], ['DELETE']])(
    '%s with a stale If-Match answers 412 and changes nothing',
    async (method) => {
      const user = await createUser(`ifmatch-stale-${method.toLowerCase()}@contoso.test`);
      const changed = await sidecar.scim('PATCH', `/Users/${user.id}`, { body: retitle('First') });
      expect(changed.status, changed.text).toBe(204);
      const body =
        method === 'PATCH'
          ? retitle('Second')
          : method === 'PUT'
            ? { ...entraUser(user.userName as string), title: 'Second' }
            : undefined;
      const res = await sidecar.scim(method, `/Users/${user.id}`, {
        ...(body ? { body } : {}),
        headers: { 'if-match': user.meta.version },
      });
      expect(res.status, res.text).toBe(412);
      expect(scimErrorViolation(res)).toBeUndefined();
      const read = await sidecar.scim('GET', `/Users/${user.id}`);
      expect(read.status).toBe(200);
      expect(read.resource().title).toBe('First');
    },
  );

  it('If-Match: * matches any existing version; a list of tags matches if one is current', async () => {
    const user = await createUser('ifmatch-star@contoso.test');
    const star = await sidecar.scim('PATCH', `/Users/${user.id}`, {
      body: retitle('Star'),
      headers: { 'if-match': '*' },
    });
    expect(star.status, star.text).toBe(204);
    const current = star.header('etag') as string;
    const listed = await sidecar.scim('PATCH', `/Users/${user.id}`, {
      body: retitle('Listed'),
      headers: { 'if-match': `W/"stale", ${current}` },
    });
    expect(listed.status, listed.text).toBe(204);
  });

  it('a change made in the app itself changes the version, so a client holding the old one gets 412', async () => {
    const user = await createUser('ifmatch-app-change@contoso.test');
    const login = 'ifmatch-app-change@contoso.test';
    const [account] = sidecar.demo.store.listAccounts({ login }).items;
    if (!account) throw new Error('no account');
    sidecar.demo.store.replaceAccount(account.id, { ...account, title: 'Set in the app' });
    const res = await sidecar.scim('DELETE', `/Users/${user.id}`, {
      headers: { 'if-match': user.meta.version },
    });
    expect(res.status, res.text).toBe(412);
    expect(sidecar.demo.store.getAccount(account.id)).toBeDefined();
  });

  it('a group read without members (as Entra reads groups) can be patched with the version it got', async () => {
    const member = await createUser('ifmatch-member@contoso.test');
    const created = await sidecar.scim('POST', '/Groups', {
      body: { schemas: [GROUP_SCHEMA], displayName: 'If-Match group', members: [{ value: member.id }] },
    });
    expect(created.status, created.text).toBe(201);
    const group = created.resource();
    const lean = await sidecar.scim('GET', `/Groups/${group.id}?excludedAttributes=members`);
    const res = await sidecar.scim('PATCH', `/Groups/${group.id}`, {
      body: patchOp({ op: 'replace', path: 'displayName', value: 'If-Match group renamed' }),
      headers: { 'if-match': lean.header('etag') as string },
    });
    expect(res.status, res.text).toBe(204);
  });
});

describe('If-None-Match on reads', () => {
  it('answers 304 without a body for the current version, 200 for another', async () => {
    const user = await createUser('ifnonematch@contoso.test');
    const same = await sidecar.scim('GET', `/Users/${user.id}`, {
      headers: { 'if-none-match': user.meta.version },
    });
    expect(same.status).toBe(304);
    expect(same.text).toBe('');
    expect(same.header('etag')).toBe(user.meta.version);
    const other = await sidecar.scim('GET', `/Users/${user.id}`, {
      headers: { 'if-none-match': 'W/"other"' },
    });
    expect(other.status).toBe(200);
  });
});
