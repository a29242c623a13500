import { afterEach, describe, expect, it } from 'vitest';
import { type DemoSidecar, entraUser, patchOp, startDemoSidecar } from '../helpers/sidecar.js';

/** server.clientProfile fixes the profile instead of detecting it per request. */
describe('server.clientProfile', () => {
  let sc: DemoSidecar | undefined;

  afterEach(async () => {
    await sc?.close();
    sc = undefined;
  });

  async function patchActive(profile: 'auto' | 'okta' | 'entra', userAgent: string) {
    sc = await startDemoSidecar({ clientProfile: profile });
    const created = await sc.scim('POST', '/Users', { body: entraUser(`profile.${profile}@contoso.com`) });
    return sc.scim('PATCH', `/Users/${created.resource().id}`, {
      headers: { 'user-agent': userAgent },
      body: patchOp({ op: 'replace', path: 'active', value: false }),
    });
  }

  it('auto: a generic client gets 204, as Entra does', async () => {
    expect((await patchActive('auto', 'curl/8')).status).toBe(204);
  });

  it('auto: Okta, recognised by its User-Agent, gets 200 with the resource', async () => {
    const res = await patchActive('auto', 'Okta SCIM Client 1.0.0');
    expect(res.status).toBe(200);
    expect(res.resource().active).toBe(false);
  });

  it('okta: every client gets 200 with the resource, whatever its User-Agent', async () => {
    const res = await patchActive('okta', 'curl/8');
    expect(res.status).toBe(200);
    expect(res.resource().active).toBe(false);
  });

  it('entra: even an Okta User-Agent gets 204', async () => {
    expect((await patchActive('entra', 'Okta SCIM Client 1.0.0')).status).toBe(204);
  });

  it("okta: a group's member change gets 204, and costs the member call alone", async () => {
    sc = await startDemoSidecar({ clientProfile: 'okta' });
    const user = await sc.scim('POST', '/Users', { body: entraUser('okta.member@contoso.com') });
    const group = await sc.scim('POST', '/Groups', {
      body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Okta pushed' },
    });
    sc.calls.length = 0;
    const res = await sc.scim('PATCH', `/Groups/${group.resource().id}`, {
      headers: { 'user-agent': 'Okta SCIM Client 1.0.0' },
      body: patchOp({
        op: 'add',
        path: 'members',
        value: [{ value: user.resource().id, display: 'okta.member@contoso.com' }],
      }),
    });
    expect(res.status, res.text).toBe(204);
    expect(sc.calls.map((call) => call.method)).toEqual(['POST']);
  });
});
