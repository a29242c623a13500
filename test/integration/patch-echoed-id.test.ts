import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoSidecar, GROUP_SCHEMA, patchOp, startDemoSidecar } from '../helpers/sidecar.js';

/** Okta's group PATCH carries the group's own id in a path-less replace. */
const OKTA = { 'user-agent': 'Okta SCIM Client 1.0.0' };

let sc: DemoSidecar;

beforeAll(async () => {
  sc = await startDemoSidecar();
});

afterAll(async () => {
  await sc.close();
});

async function createGroup(displayName: string): Promise<string> {
  const res = await sc.scim('POST', '/Groups', { body: { schemas: [GROUP_SCHEMA], displayName } });
  expect(res.status, res.text).toBe(201);
  return res.resource().id;
}

describe('PATCH whose value echoes the resource id', () => {
  it('renames the group: the echoed id is no change to the read-only id', async () => {
    const id = await createGroup('Echo');
    const res = await sc.scim('PATCH', `/Groups/${id}`, {
      body: patchOp({ op: 'replace', value: { id, displayName: 'Echo renamed' } }),
      headers: OKTA,
    });
    // Okta's group updates are answered 204: the rename is read back.
    expect(res.status, res.text).toBe(204);
    expect((await sc.scim('GET', `/Groups/${id}`)).resource()).toMatchObject({
      id,
      displayName: 'Echo renamed',
    });
  });

  it('still refuses a value that changes the id', async () => {
    const id = await createGroup('Echo other');
    const res = await sc.scim('PATCH', `/Groups/${id}`, {
      body: patchOp({ op: 'replace', value: { id: 'another-id', displayName: 'Echo moved' } }),
      headers: OKTA,
    });
    expect(res.status, res.text).toBe(400);
    expect(res.error()).toMatchObject({ scimType: 'mutability' });
    const get = await sc.scim('GET', `/Groups/${id}`);
    expect(get.resource().displayName).toBe('Echo other');
  });
});
