import { describe, expect, it } from 'vitest';
import { RouteMethods } from '../../../src/http/route-methods.js';

function scimRoutes(): RouteMethods {
  const routes = new RouteMethods();
  routes.record('/scim/v2/Users', ['GET', 'HEAD']);
  routes.record('/scim/v2/Users', 'POST');
  routes.record('/scim/v2/Users/.search', 'POST');
  for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) routes.record('/scim/v2/Users/:id', method);
  routes.record('/scim/v2/ServiceProviderConfig', 'GET');
  return routes;
}

describe('RouteMethods', () => {
  it.each([
    ['/scim/v2/Users', ['GET', 'HEAD', 'POST']],
    ['/scim/v2/Users/6bd72063', ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE']],
    // Both the static route and the :id route match; the router prefers the static one per method.
    ['/scim/v2/Users/.search', ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']],
    ['/scim/v2/ServiceProviderConfig', ['GET', 'HEAD']],
  ])('lists the methods offered at %s, in Allow-header order', (path, expected) => {
    expect(scimRoutes().allowedFor(path)).toEqual(expected);
  });

  it('matches as the router does: without case, trailing or duplicate slashes', () => {
    expect(scimRoutes().allowedFor('/SCIM/v2//users/')).toEqual(['GET', 'HEAD', 'POST']);
  });

  it.each(['/scim/v2/Users/a/b', '/scim/v2/Nothing', '/scim/v2', '/scim/v2/Usersx'])(
    'offers nothing at %s',
    (path) => {
      expect(scimRoutes().allowedFor(path)).toEqual([]);
    },
  );

  it('treats regex characters in static segments literally', () => {
    const routes = new RouteMethods();
    routes.record('/a.b/:id', 'GET');
    expect(routes.allowedFor('/a.b/1')).toEqual(['GET', 'HEAD']);
    expect(routes.allowedFor('/axb/1')).toEqual([]);
  });

  it('lets a trailing * match the rest of the path', () => {
    const routes = new RouteMethods();
    routes.record('/files/*', 'GET');
    expect(routes.allowedFor('/files/a/b/c')).toEqual(['GET', 'HEAD']);
  });
});
