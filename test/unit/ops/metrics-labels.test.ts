import { describe, expect, it } from 'vitest';
import { scimRouteLabels } from '../../../src/ops/metrics.js';

describe('scimRouteLabels', () => {
  const base = '/scim/v2';
  it.each([
    ['POST', '/scim/v2/Users', { resource: 'User', operation: 'create' }],
    ['GET', '/scim/v2/Users', { resource: 'User', operation: 'query' }],
    ['POST', '/scim/v2/Users/.search', { resource: 'User', operation: 'query' }],
    ['GET', '/scim/v2/Users/:id', { resource: 'User', operation: 'get' }],
    ['PUT', '/scim/v2/Users/:id', { resource: 'User', operation: 'replace' }],
    ['PATCH', '/scim/v2/Groups/:id', { resource: 'Group', operation: 'patch' }],
    ['DELETE', '/scim/v2/Groups/:id', { resource: 'Group', operation: 'delete' }],
    ['GET', '/scim/v2/ServiceProviderConfig', { resource: 'ServiceProviderConfig', operation: 'discovery' }],
    ['GET', '/scim/v2/ResourceTypes/:name', { resource: 'ResourceTypes', operation: 'discovery' }],
    ['GET', '/scim/v2/Schemas/:id', { resource: 'Schemas', operation: 'discovery' }],
    ['GET', '/scim/v2/*', { resource: 'none', operation: 'unknown' }],
    ['GET', '/scim/v2', { resource: 'none', operation: 'unknown' }],
  ])('%s %s', (method, pattern, labels) => {
    expect(scimRouteLabels(method, pattern, base)).toEqual(labels);
  });

  it('ignores routes outside the base path, and unmatched requests', () => {
    expect(scimRouteLabels('GET', '/healthz', base)).toBeUndefined();
    expect(scimRouteLabels('GET', '/*', base)).toBeUndefined();
    expect(scimRouteLabels('GET', '/scim/v2x/Users', base)).toBeUndefined();
    expect(scimRouteLabels('GET', undefined, base)).toBeUndefined();
  });

  it('compares the base path without regard to case, as the router does', () => {
    expect(scimRouteLabels('GET', '/SCIM/V2/users/:id', '/scim/v2')).toEqual({
      resource: 'User',
      operation: 'get',
    });
  });
});
