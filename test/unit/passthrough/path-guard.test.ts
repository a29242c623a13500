import { describe, expect, it } from 'vitest';
import { looksLikeScimPath } from '../../../src/passthrough/path-guard.js';

describe('looksLikeScimPath', () => {
  it.each([
    '/scim/v2',
    '/scim/v2/Users',
    '/SCIM/V2/users',
    '/scim%2Fv2/Users',
    '/scim%2fv2',
    '/scim%252Fv2/Users',
    '/scim%25252Fv2/Users',
    '/%73cim/v2/Users',
    '/scim\\v2\\Users',
    '/scim%5Cv2/Users',
    '//scim//v2//Users',
    '/x/../scim/v2/Users',
    '/x/y/../../scim/v2',
    '/x/%2e%2e/scim/v2/Users',
    '/x/%2E%2E%2fscim/v2',
    '/./scim/./v2/Users',
    '/scim;jsessionid=abc/v2/Users',
    '/scim/v2;x=y/Users',
    '/scim./v2/Users',
    '/scim%20/v2/Users',
    '/scim/v2/Users?filter=x',
    '/scim/v2#frag',
    'http://host/scim/v2/Users',
    'scim/v2/Users',
    '/scim/v2/Users%',
  ])('%s is a SCIM path', (path) => {
    expect(looksLikeScimPath(path, '/scim/v2')).toBe(true);
  });

  it.each([
    '/',
    '/scim',
    '/scimv2',
    '/scim/v20/Users',
    '/scimitar/v2',
    '/api/scim/v2/Users',
    '/scim/../api/v2',
    '/scim/v2/../../api',
    '/public/hello.txt',
    '/files/a%2Fb',
    '/%ZZscim/v2',
  ])('%s is not', (path) => {
    expect(looksLikeScimPath(path, '/scim/v2')).toBe(false);
  });

  it('follows the configured base path', () => {
    expect(looksLikeScimPath('/webapi%2Fscim/v2/Users', '/webapi/scim/v2')).toBe(true);
    expect(looksLikeScimPath('/scim/v2/Users', '/webapi/scim/v2')).toBe(false);
  });
});
