import { describe, expect, it } from 'vitest';
import { clientProfile } from '../../src/scim/client-profile.js';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('clientProfile', () => {
  it.each([
    ['Okta SCIM Client 1.0.0', 'okta'],
    ['okta-scim/2.0', 'okta'],
    ['Microsoft Azure Active Directory SCIM Client', 'entra'],
    ['Microsoft.Entra.Provisioning', 'entra'],
    ['AzureAD-Provisioning/1.0', 'entra'],
    ['curl/8.5.0', 'generic'],
    ['', 'generic'],
  ])('reads the User-Agent %j as %s', (agent, profile) => {
    expect(clientProfile({ headers: { 'user-agent': agent } })).toBe(profile);
  });

  it('is generic without a User-Agent', () => {
    expect(clientProfile({ headers: {} })).toBe('generic');
  });

  it('recognises Entra by its Tenant URL flag (aadOptscim062020) in the query', () => {
    expect(clientProfile({ headers: {}, query: { aadOptscim062020: '' } })).toBe('entra');
    expect(clientProfile({ headers: {}, query: { filter: 'userName eq "x"' } })).toBe('generic');
  });

  it('recognises Entra by its capitalised PATCH operations', () => {
    const entra = { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] };
    const rfc = { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] };
    expect(clientProfile({ headers: {}, body: entra })).toBe('entra');
    expect(clientProfile({ headers: {}, body: rfc })).toBe('generic');
    expect(clientProfile({ headers: {}, body: { Operations: 'not a list' } })).toBe('generic');
    expect(clientProfile({ headers: {}, body: null })).toBe('generic');
  });

  it("trusts Okta's User-Agent over the request shape", () => {
    const body = { Operations: [{ op: 'Replace', path: 'active', value: false }] };
    expect(clientProfile({ headers: { 'user-agent': 'Okta SCIM Client 1.0.0' }, body })).toBe('okta');
  });
});

describe('clientProfile on hostile bodies', () => {
  it('does not throw on an op that is an object whose toString is not a function', () => {
    const body = JSON.parse('{"Operations":[{"op":{"toString":0.1},"path":"x"}]}') as unknown;
    expect(clientProfile({ headers: {}, body })).toBe('generic');
  });
});
