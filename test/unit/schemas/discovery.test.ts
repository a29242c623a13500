import { describe, expect, it } from 'vitest';
import { ENTERPRISE_USER_SCHEMA_ID } from '../../../src/scim/schemas/enterprise-user.js';
import {
  discoverySchema,
  groupResourceSchema,
  resourceTypeRepresentation,
  serviceProviderConfigRepresentation,
  userResourceSchema,
} from '../../../src/scim/schemas/resource-schema.js';
import { USER_SCHEMA } from '../../../src/scim/schemas/user.js';

const BASE = 'https://scim.example.com/scim/v2';

describe('discoverySchema (RFC 7643 §7)', () => {
  const users = userResourceSchema({ enterprise: true });

  it('renders the schema representation without the common attributes', () => {
    const out = discoverySchema(users.core, `${BASE}/`);
    expect(out).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
      id: 'urn:ietf:params:scim:schemas:core:2.0:User',
      name: 'User',
      description: 'User Account',
      meta: {
        resourceType: 'Schema',
        location: `${BASE}/Schemas/urn:ietf:params:scim:schemas:core:2.0:User`,
      },
    });
    const names = out.attributes.map((a) => a.name);
    expect(names).not.toContain('id');
    expect(names).not.toContain('externalId');
    expect(names).not.toContain('meta');
    expect(names).toHaveLength(USER_SCHEMA.attributes.length);
  });

  it('writes attribute properties in the RFC 7643 §8.7.1 order', () => {
    const out = discoverySchema(users.core, BASE);
    expect(Object.keys(out.attributes[0] ?? {})).toEqual([
      'name',
      'type',
      'multiValued',
      'description',
      'required',
      'caseExact',
      'mutability',
      'returned',
      'uniqueness',
    ]);
    const photos = out.attributes.find((a) => a.name === 'photos');
    expect(Object.keys(photos?.subAttributes?.[0] ?? {})).toContain('referenceTypes');
  });

  it('survives a JSON round trip and shares nothing with the definitions', () => {
    const out = discoverySchema(users.extensions[0] ?? users.core, BASE);
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
    expect(out.id).toBe(ENTERPRISE_USER_SCHEMA_ID);
    const manager = out.attributes.find((a) => a.name === 'manager');
    manager?.subAttributes?.splice(0);
    expect(users.extensions[0]?.attributes.find((a) => a.name === 'manager')?.subAttributes).toHaveLength(3);
  });

  it('reflects trimming by the supported predicate', () => {
    const trimmed = userResourceSchema({
      enterprise: false,
      supported: (p) => p === 'userName' || p === 'active',
    });
    expect(discoverySchema(trimmed.core, BASE).attributes.map((a) => a.name)).toEqual(['userName', 'active']);
  });

  it('uses a relative location when no base URL is given', () => {
    expect(discoverySchema(groupResourceSchema().core).meta.location).toBe(
      '/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group',
    );
  });
});

describe('resourceTypeRepresentation (RFC 7643 §6)', () => {
  it('renders User with the enterprise extension', () => {
    expect(
      resourceTypeRepresentation({
        name: 'User',
        endpoint: '/Users',
        description: 'User Account',
        schema: 'urn:ietf:params:scim:schemas:core:2.0:User',
        extensions: [{ schema: ENTERPRISE_USER_SCHEMA_ID, required: false }],
        baseUrl: BASE,
      }),
    ).toEqual({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'User Account',
      schema: 'urn:ietf:params:scim:schemas:core:2.0:User',
      schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA_ID, required: false }],
      meta: { resourceType: 'ResourceType', location: `${BASE}/ResourceTypes/User` },
    });
  });

  it('omits schemaExtensions and description when there are none', () => {
    const out = resourceTypeRepresentation({
      name: 'Group',
      endpoint: '/Groups',
      schema: 'urn:ietf:params:scim:schemas:core:2.0:Group',
      extensions: [],
    });
    expect(out).not.toHaveProperty('schemaExtensions');
    expect(out).not.toHaveProperty('description');
    expect(out.meta.location).toBe('/ResourceTypes/Group');
  });
});

describe('serviceProviderConfigRepresentation (RFC 7643 §5)', () => {
  const bearer = {
    type: 'oauthbearertoken',
    name: 'OAuth Bearer Token',
    description: 'Authentication scheme using the OAuth Bearer Token Standard',
    specUri: 'http://www.rfc-editor.org/info/rfc6750',
    primary: true,
  };

  it('renders every feature with unsupported bulk advertised as zeros', () => {
    expect(
      serviceProviderConfigRepresentation({
        patch: true,
        bulk: false,
        filter: { supported: true, maxResults: 200 },
        changePassword: false,
        sort: false,
        etag: true,
        authenticationSchemes: [bearer],
        baseUrl: BASE,
      }),
    ).toEqual({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false },
      sort: { supported: false },
      etag: { supported: true },
      authenticationSchemes: [bearer],
      meta: { resourceType: 'ServiceProviderConfig', location: `${BASE}/ServiceProviderConfig` },
    });
  });

  it('passes bulk limits and the documentation URI through', () => {
    const out = serviceProviderConfigRepresentation({
      patch: false,
      bulk: { maxOperations: 1000, maxPayloadSize: 1_048_576 },
      filter: { supported: false, maxResults: 0 },
      changePassword: false,
      sort: false,
      etag: false,
      authenticationSchemes: [],
      documentationUri: 'https://example.com/help/scim.html',
    });
    expect(out.bulk).toEqual({ supported: true, maxOperations: 1000, maxPayloadSize: 1_048_576 });
    expect(out.documentationUri).toBe('https://example.com/help/scim.html');
    expect(out.meta.location).toBe('/ServiceProviderConfig');
  });
});
