/**
 * RFC 7644 protocol edges through HTTP: bodiless requests that carry a Content-Type, unquoted
 * filter values, dateTime filter values, unsupported endpoints (501), wrong methods (405),
 * sorting, media types (415) and the invalid-JSON detail.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BASE_PATH,
  type DemoSidecar,
  entraUser,
  type HttpResult,
  patchOp,
  SCIM_ERROR_SCHEMA,
  SCIM_TOKEN,
  type ScimResource,
  send,
  startDemoSidecar,
} from '../helpers/sidecar.js';

const SCIM_JSON = /^application\/scim\+json/;
/** Two UUIDs, one starting with a digit and one with a letter: the filter lexer once told them apart. */
const DIGIT_UUID = '6bd72063-9e0d-4f0e-8a55-1c2d3e4f5a6b';
const LETTER_UUID = 'd4549d56-3c1b-4e2a-9f88-7a6b5c4d3e2f';

let sc: DemoSidecar;

beforeAll(async () => {
  sc = await startDemoSidecar();
});

afterAll(async () => {
  await sc.close();
});

beforeEach(() => {
  sc.calls.length = 0;
});

let seq = 0;
async function createUser(prefix: string, extra: Record<string, unknown> = {}): Promise<ScimResource> {
  seq += 1;
  const res = await sc.scim('POST', '/Users', { body: entraUser(`${prefix}${seq}@contoso.com`, extra) });
  expect(res.status, res.text).toBe(201);
  return res.resource();
}

function expectScimError(res: HttpResult, status: number, scimType?: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.header('content-type')).toMatch(SCIM_JSON);
  expect(res.error()).toMatchObject({ schemas: [SCIM_ERROR_SCHEMA], status: String(status) });
  if (scimType !== undefined) expect(res.error().scimType).toBe(scimType);
}

function filterUrl(filter: string, extra = ''): string {
  return `/Users?filter=${encodeURIComponent(filter)}${extra}`;
}

/** A request with no body and no Content-Type at all, which the `send` helper cannot express. */
async function sendUnlabelled(method: 'POST' | 'PATCH', path: string, payload: string): Promise<HttpResult> {
  const response = await sc.app.inject({
    method,
    url: `${BASE_PATH}${path}`,
    headers: { authorization: `Bearer ${SCIM_TOKEN}` },
    payload,
  });
  expect(response.headers['content-type'] ?? '').not.toBe('');
  const json = response.body === '' ? undefined : (JSON.parse(response.body) as unknown);
  return {
    status: response.statusCode,
    headers: response.headers,
    text: response.body,
    json,
    resource: () => json as ScimResource,
    list: () => json as never,
    error: () => json as never,
    header: (name) => {
      const value = response.headers[name.toLowerCase()];
      return value === undefined ? undefined : String(value);
    },
  };
}

describe('bodiless requests that carry a Content-Type', () => {
  it.each(['application/scim+json', 'application/json', 'application/scim+json; charset=utf-8'])(
    'DELETE with Content-Type %s and no body answers 204',
    async (contentType) => {
      const user = await createUser('ct.delete.');
      const res = await send(sc.app, 'DELETE', `${BASE_PATH}/Users/${user.id}`, {
        headers: { 'content-type': contentType },
      });
      expect(res.status, res.text).toBe(204);
      expect((await sc.scim('GET', `/Users/${user.id}`)).status).toBe(404);
    },
  );

  it('DELETE with Content-Type and Content-Length: 0 answers 204', async () => {
    const user = await createUser('ct.delete0.');
    const res = await send(sc.app, 'DELETE', `${BASE_PATH}/Users/${user.id}`, {
      headers: { 'content-type': 'application/scim+json', 'content-length': '0' },
    });
    expect(res.status, res.text).toBe(204);
  });

  it.each(['GET', 'HEAD'] as const)('%s with a Content-Type and no body is served', async (method) => {
    const user = await createUser('ct.get.');
    const res = await send(sc.app, method, `${BASE_PATH}/Users/${user.id}`, {
      headers: { 'content-type': 'application/scim+json' },
    });
    expect(res.status, res.text).toBe(200);
  });

  it.each(['POST', 'PUT', 'PATCH'] as const)(
    '%s with an empty body answers 400 invalidSyntax',
    async (method) => {
      const user = await createUser('ct.empty.');
      const path = method === 'POST' ? '/Users' : `/Users/${user.id}`;
      sc.calls.length = 0;
      const res = await sc.scim(method, path, { rawBody: '' });
      expectScimError(res, 400, 'invalidSyntax');
      expect(res.error().detail).toMatch(/body is empty/i);
      expect(sc.calls.filter((c) => c.method !== 'GET')).toEqual([]);
    },
  );
});

describe('unquoted filter values', () => {
  it.each([DIGIT_UUID, LETTER_UUID])('id eq %s (unquoted) answers 200 like its quoted form', async (id) => {
    const bare = await sc.scim('GET', filterUrl(`id eq ${id}`));
    expect(bare.status, bare.text).toBe(200);
    expect(bare.list().totalResults).toBe(0);
  });

  it.each([DIGIT_UUID, LETTER_UUID])('externalId eq %s (unquoted) finds the user', async (externalId) => {
    const user = await createUser('bare.ext.', { externalId });
    const res = await sc.scim('GET', filterUrl(`externalId eq ${externalId}`));
    expect(res.status, res.text).toBe(200);
    expect(res.list().Resources.map((r) => r.id)).toEqual([user.id]);
    await sc.scim('DELETE', `/Users/${user.id}`);
  });

  it('a bare JSON number is still a number, a bare word still a string', async () => {
    expect((await sc.scim('GET', filterUrl('userName eq 42'))).status).toBe(200);
    expect((await sc.scim('GET', filterUrl('userName sw ct'))).status).toBe(200);
  });

  it('PATCH paths with unquoted value-filter values select the element, whatever its first character', async () => {
    const user = await createUser('bare.patch.', {
      emails: [
        { type: 'work', primary: true, value: 'work@contoso.com' },
        { type: DIGIT_UUID, value: 'digit@contoso.com' },
        { type: LETTER_UUID, value: 'letter@contoso.com' },
      ],
    });
    for (const type of [DIGIT_UUID, LETTER_UUID]) {
      const res = await sc.scim('PATCH', `/Users/${user.id}`, {
        body: patchOp({
          op: 'replace',
          path: `emails[type eq ${type}].value`,
          value: `new.${type}@contoso.com`,
        }),
      });
      expect(res.status, res.text).toBe(204);
    }
    const after = (await sc.scim('GET', `/Users/${user.id}`)).resource();
    expect(after.emails).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: DIGIT_UUID, value: `new.${DIGIT_UUID}@contoso.com` }),
        expect.objectContaining({ type: LETTER_UUID, value: `new.${LETTER_UUID}@contoso.com` }),
      ]),
    );
  });
});

describe('dateTime comparisons', () => {
  it.each([
    ['meta.created gt "not-a-date"', 'meta.created'],
    ['meta.lastModified ge "2024-13-45T99:00:00Z"', 'meta.lastModified'],
    ['meta.created lt 5', 'meta.created'],
    ['meta.lastModified eq true', 'meta.lastModified'],
    ['userName pr and meta.created gt "yesterday"', 'meta.created'],
  ])('%s answers 400 invalidFilter naming the attribute', async (filter, attribute) => {
    const res = await sc.scim('GET', filterUrl(filter));
    expectScimError(res, 400, 'invalidFilter');
    expect(res.error().detail).toContain(attribute);
    expect(sc.calls).toEqual([]);
  });

  it('answers 400 even where no resource exists to compare with', async () => {
    const res = await sc.scim('GET', `/Groups?filter=${encodeURIComponent('meta.created gt "soon"')}`);
    expectScimError(res, 400, 'invalidFilter');
  });

  it.each([
    'meta.created gt "2011-05-13T04:42:34Z"',
    'meta.created gt "2011-05-13T04:42:34.123+02:00"',
    'meta.lastModified lt 2099-01-01T00:00:00Z',
    'meta.created eq null',
  ])('%s is a valid filter', async (filter) => {
    const res = await sc.scim('GET', filterUrl(filter));
    expect(res.status, res.text).toBe(200);
  });
});

describe('unsupported features answer 501', () => {
  it.each([
    ['POST', '/Bulk'],
    ['GET', '/Bulk'],
    ['DELETE', '/Bulk/1'],
    ['GET', '/Me'],
    ['PATCH', '/Me'],
    ['PUT', '/Me'],
    ['DELETE', '/Me'],
    ['GET', '/Me/groups'],
  ] as const)('%s %s', async (method, path) => {
    const body = method === 'GET' || method === 'DELETE' ? {} : { body: { schemas: [] } };
    const res = await sc.scim(method, path, body);
    expectScimError(res, 501);
    expect(sc.calls).toEqual([]);
  });

  it('asks for authentication first', async () => {
    const res = await sc.scim('GET', '/Me', { token: null });
    expect(res.status).toBe(401);
  });

  it('ServiceProviderConfig says bulk is not supported', async () => {
    const res = await sc.scim('GET', '/ServiceProviderConfig');
    expect(res.json).toMatchObject({ bulk: { supported: false } });
  });
});

describe('a method the path does not offer answers 405 with Allow', () => {
  it.each([
    ['DELETE', '/Users', 'GET, HEAD, POST'],
    ['PATCH', '/Users', 'GET, HEAD, POST'],
    ['PUT', '/Groups', 'GET, HEAD, POST'],
    ['PUT', '/ServiceProviderConfig', 'GET, HEAD'],
    ['POST', '/Schemas', 'GET, HEAD'],
    ['DELETE', '/ResourceTypes/User', 'GET, HEAD'],
    ['POST', `/Users/${DIGIT_UUID}`, 'GET, HEAD, PUT, PATCH, DELETE'],
    ['GET', '/Users/.search', undefined],
  ] as const)('%s %s', async (method, path, allow) => {
    const res = await sc.scim(
      method,
      path,
      method === 'POST' || method === 'PUT' || method === 'PATCH' ? { body: {} } : {},
    );
    if (allow === undefined) {
      // GET /Users/.search is GET /Users/:id with the id ".search": a lookup, not a wrong method.
      expect(res.status).toBe(404);
      return;
    }
    expectScimError(res, 405);
    expect(res.header('allow')).toBe(allow);
    expect(res.error().detail).toContain(method);
    expect(sc.calls).toEqual([]);
  });

  it.each([
    ['GET', '/NoSuchEndpoint'],
    ['DELETE', '/NoSuchEndpoint'],
    ['GET', '/Users/a/b'],
    ['GET', ''],
  ] as const)('%s %s (no such path) stays 404', async (method, path) => {
    const res = await sc.scim(method, path);
    expectScimError(res, 404);
    expect(res.header('allow')).toBeUndefined();
  });

  it('matches paths the way the router does: case-insensitively, with a trailing slash', async () => {
    const res = await sc.scim('DELETE', '/users/');
    expectScimError(res, 405);
    expect(res.header('allow')).toBe('GET, HEAD, POST');
  });
});

describe('media types', () => {
  it.each([
    'text/plain',
    'application/xml',
    'text/html',
    'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded',
  ])('POST with %s answers 415', async (contentType) => {
    const res = await sc.scim('POST', '/Users', { body: entraUser('media@contoso.com'), contentType });
    expectScimError(res, 415);
    expect(res.error().detail).toContain('application/scim+json');
    expect(sc.calls).toEqual([]);
  });

  it.each(['PUT', 'PATCH'] as const)('%s with text/plain answers 415', async (method) => {
    const user = await createUser('media.');
    const body =
      method === 'PATCH' ? patchOp({ op: 'replace', path: 'title', value: 'x' }) : entraUser('m@x.example');
    const res = await sc.scim(method, `/Users/${user.id}`, { body, contentType: 'text/plain' });
    expectScimError(res, 415);
  });

  it.each(['application/scim+json; charset=utf-8', 'APPLICATION/JSON', 'application/json;charset=UTF-8'])(
    'accepts %s',
    async (contentType) => {
      seq += 1;
      const res = await sc.scim('POST', '/Users', {
        body: entraUser(`media.ok${seq}@contoso.com`),
        contentType,
      });
      expect(res.status, res.text).toBe(201);
    },
  );

  it('accepts a JSON body without a Content-Type', async () => {
    const res = await sendUnlabelled('POST', '/Users', JSON.stringify(entraUser('unlabelled@contoso.com')));
    expect(res.status, res.text).toBe(201);
  });
});

describe('the invalid-JSON detail', () => {
  it.each(['application/scim+json', 'application/json'])(
    'does not name a media type the client did not send (%s)',
    async (contentType) => {
      const res = await sc.scim('POST', '/Users', { rawBody: '{"userName":', contentType });
      expectScimError(res, 400, 'invalidSyntax');
      const { detail } = res.error();
      expect(detail).toMatch(/not valid JSON/);
      const other = contentType === 'application/json' ? 'application/scim+json' : "'application/json'";
      expect(detail).not.toContain(other);
    },
  );
});

describe('sorting (RFC 7644 §3.4.2.3)', () => {
  let sorted: DemoSidecar;
  /** userName → SCIM id, created in an order that is none of the sort orders below. */
  const ids = new Map<string, string>();

  beforeAll(async () => {
    sorted = await startDemoSidecar();
    const users: Array<[string, Record<string, unknown>]> = [
      ['sort.carol@contoso.com', { externalId: 'c1', title: 'zeta' }],
      ['sort.alice@contoso.com', { externalId: 'a1' }],
      ['sort.Bob@contoso.com', { externalId: 'B1', title: 'Alpha' }],
      ['sort.dave@contoso.com', { externalId: 'd1', title: 'beta' }],
    ];
    for (const [userName, extra] of users) {
      const res = await sorted.scim('POST', '/Users', { body: entraUser(userName, extra) });
      expect(res.status, res.text).toBe(201);
      ids.set(userName, res.resource().id);
    }
  });

  afterAll(async () => {
    await sorted.close();
  });

  async function userNames(query: string): Promise<string[]> {
    const res = await sorted.scim('GET', `/Users?${query}`);
    expect(res.status, res.text).toBe(200);
    return res.list().Resources.map((r) => r.userName as string);
  }

  it('sorts by userName ignoring case, then pages', async () => {
    expect(await userNames('sortBy=userName')).toEqual([
      'sort.alice@contoso.com',
      'sort.Bob@contoso.com',
      'sort.carol@contoso.com',
      'sort.dave@contoso.com',
    ]);
    const page = await sorted.scim('GET', '/Users?sortBy=userName&startIndex=2&count=2');
    expect(page.list()).toMatchObject({ totalResults: 4, startIndex: 2, itemsPerPage: 2 });
    expect(page.list().Resources.map((r) => r.userName)).toEqual([
      'sort.Bob@contoso.com',
      'sort.carol@contoso.com',
    ]);
  });

  it('sorts descending', async () => {
    expect(await userNames('sortBy=userName&sortOrder=descending&count=2')).toEqual([
      'sort.dave@contoso.com',
      'sort.carol@contoso.com',
    ]);
  });

  it('sorts a caseExact attribute (externalId) by code point', async () => {
    expect(await userNames('sortBy=externalId')).toEqual([
      'sort.Bob@contoso.com',
      'sort.alice@contoso.com',
      'sort.carol@contoso.com',
      'sort.dave@contoso.com',
    ]);
  });

  it('puts resources without the attribute last ascending and first descending', async () => {
    const filter = `filter=${encodeURIComponent('userName sw "sort."')}`;
    expect(await userNames(`${filter}&sortBy=title`)).toEqual([
      'sort.Bob@contoso.com',
      'sort.dave@contoso.com',
      'sort.carol@contoso.com',
      'sort.alice@contoso.com',
    ]);
    expect(await userNames(`${filter}&sortBy=title&sortOrder=descending`)).toEqual([
      'sort.alice@contoso.com',
      'sort.carol@contoso.com',
      'sort.dave@contoso.com',
      'sort.Bob@contoso.com',
    ]);
  });

  it('sorts a multi-valued attribute by its primary value', async () => {
    expect(await userNames('sortBy=emails&sortOrder=descending&count=1')).toEqual(['sort.dave@contoso.com']);
  });

  it('takes sortBy and sortOrder from a POST .search body', async () => {
    const res = await sorted.scim('POST', '/Users/.search', {
      body: {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
        sortBy: 'userName',
        sortOrder: 'descending',
        startIndex: 1,
        count: 3,
      },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.list().Resources.map((r) => r.userName)).toEqual([
      'sort.dave@contoso.com',
      'sort.carol@contoso.com',
      'sort.Bob@contoso.com',
    ]);
  });

  it('ignores sortOrder without sortBy', async () => {
    expect((await userNames('sortOrder=descending')).length).toBe(4);
  });

  it.each([
    ['sortBy=noSuchAttribute', /noSuchAttribute/],
    ['sortBy=name', /sub-attribute/],
    ['sortBy=userName&sortOrder=sideways', /sortOrder/],
    ['sortBy=userName&sortBy=title', /sortBy/],
  ])('answers 400 invalidValue for %s', async (query, detail) => {
    const res = await sorted.scim('GET', `/Users?${query}`);
    expectScimError(res, 400, 'invalidValue');
    expect(res.error().detail).toMatch(detail);
  });

  it('ServiceProviderConfig advertises sorting', async () => {
    const res = await sorted.scim('GET', '/ServiceProviderConfig');
    expect(res.json).toMatchObject({ sort: { supported: true } });
  });

  it('answers 400 tooMany when sorting would read more records than the scan limit', async () => {
    const small = await startDemoSidecar({ limits: { maxScan: 2 } });
    try {
      for (const name of ['a', 'b', 'c']) {
        const res = await small.scim('POST', '/Users', { body: entraUser(`scan.${name}@contoso.com`) });
        expect(res.status, res.text).toBe(201);
      }
      // Without sortBy the app pages for the adapter; sorting needs every record.
      expect((await small.scim('GET', '/Users?count=1')).status).toBe(200);
      const res = await small.scim('GET', '/Users?sortBy=userName&count=1');
      expectScimError(res, 400, 'tooMany');
      expect(res.error().detail).toMatch(/sort/i);
    } finally {
      await small.close();
    }
  });
});
