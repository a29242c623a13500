/**
 * Apps that key records by a field that can change: here, a directory whose user URL is
 * `/users/{login}`. A userName change renames the record; the SCIM id must stay, and every later
 * read, write and delete must reach the renamed record. The app answers its update in one of the
 * ways such apps do: the new record, only a Location header, or nothing at all.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/app.js';
import { MemoryIdMapStore } from '../../../src/idmap/memory-store.js';
import { loadMapping } from '../../../src/mapping/load-mapping.js';
import {
  BASE_PATH,
  deploymentConfig,
  type HttpResult,
  patchOp,
  type ScimRequestOptions,
  send,
  UPSTREAM_API_KEY,
  USER_SCHEMA,
} from '../../helpers/sidecar.js';

type UpdateAnswer = 'record' | 'location' | 'empty';
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface Person {
  login: string;
  name: string;
}

/** A directory keyed by login; how it answers an update is set per test. */
async function startLoginKeyedApp() {
  const people = new Map<string, Person>();
  let updateAnswer: UpdateAnswer = 'record';
  const reply = (
    res: ServerResponse,
    status: number,
    json?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const text = json === undefined ? '' : JSON.stringify(json);
    res.writeHead(status, { ...headers, ...(text ? { 'content-type': 'application/json' } : {}) });
    res.end(text);
  };
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? (JSON.parse(text) as Partial<Person>) : {};
    const url = new URL(req.url ?? '/', 'http://app');
    if (req.headers['x-api-key'] !== UPSTREAM_API_KEY) return reply(res, 401);
    if (url.pathname === '/users' && req.method === 'GET') {
      const login = url.searchParams.get('login');
      const items = [...people.values()].filter((p) => login === null || p.login === login);
      return reply(res, 200, items);
    }
    if (url.pathname === '/users' && req.method === 'POST') {
      if (!body.login || people.has(body.login)) return reply(res, 409, { error: 'taken' });
      const person = { login: body.login, name: body.name ?? '' };
      people.set(person.login, person);
      return reply(res, 201, person);
    }
    const match = /^\/users\/([^/]+)$/.exec(url.pathname);
    const login = match ? decodeURIComponent(match[1] ?? '') : undefined;
    const person = login === undefined ? undefined : people.get(login);
    if (!person || login === undefined) return reply(res, 404, { error: 'no such user' });
    if (req.method === 'GET') return reply(res, 200, person);
    if (req.method === 'DELETE') {
      people.delete(login);
      return reply(res, 204);
    }
    if (req.method === 'PUT') {
      const renamed = { login: body.login ?? person.login, name: body.name ?? person.name };
      if (renamed.login !== login && people.has(renamed.login)) return reply(res, 409, { error: 'taken' });
      people.delete(login);
      people.set(renamed.login, renamed);
      if (updateAnswer === 'record') return reply(res, 200, renamed);
      if (updateAnswer === 'location')
        return reply(res, 204, undefined, { location: `/users/${encodeURIComponent(renamed.login)}` });
      return reply(res, 204);
    }
    return reply(res, 405);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    people,
    answerUpdatesWith(answer: UpdateAnswer) {
      updateAnswer = answer;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const MAPPING = `
app: login-keyed
resources:
  User:
    id: login
    toScim: '{ "userName": login, "displayName": name }'
    fromScim: '{ "login": userName, "name": displayName }'
    filters:
      userName:
        query: { login: value }
    operations:
      create: { method: POST, path: /users, body: app }
      get: { method: GET, path: '/users/{appId}' }
      list: { method: GET, path: /users }
      update: { method: PUT, path: '/users/{appId}', body: app }
      delete: { method: DELETE, path: '/users/{appId}' }
`;

let app: Awaited<ReturnType<typeof startLoginKeyedApp>>;
let sidecar: Awaited<ReturnType<typeof buildApp>>;

beforeAll(async () => {
  app = await startLoginKeyedApp();
  sidecar = await buildApp(deploymentConfig(app.url, '<inline>'), loadMapping('<inline>', MAPPING), {
    idMapStore: new MemoryIdMapStore(),
    logger: pino({ level: 'silent' }),
  });
  await sidecar.ready();
});

afterAll(async () => {
  await sidecar?.close();
  await app?.close();
});

const scim = (method: Method, path: string, options?: ScimRequestOptions): Promise<HttpResult> =>
  send(sidecar, method, `${BASE_PATH}${path}`, options);

const filterBy = (userName: string) =>
  scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);

describe('a userName change renames the record in an app keyed by login', () => {
  it.each<[UpdateAnswer]>([['record'], ['location'], ['empty']])(
    'the app answers the update with %s: the SCIM id stays and reaches the renamed record',
    async (answer) => {
      app.answerUpdatesWith(answer);
      const before = `before-${answer}`;
      const after = `after-${answer}`;
      const created = await scim('POST', '/Users', {
        body: { schemas: [USER_SCHEMA], userName: before, displayName: 'Pat', externalId: `ext-${answer}` },
      });
      expect(created.status, created.text).toBe(201);
      const { id } = created.resource();

      const renamed = await scim('PATCH', `/Users/${id}`, {
        body: patchOp({ op: 'replace', path: 'userName', value: after }),
      });
      expect(renamed.status, renamed.text).toBe(204);
      expect([...app.people.keys()]).toContain(after);
      expect([...app.people.keys()]).not.toContain(before);

      const read = await scim('GET', `/Users/${id}`);
      expect(read.status, read.text).toBe(200);
      expect(read.resource().userName).toBe(after);
      expect(read.resource().externalId).toBe(`ext-${answer}`);
      expect((await filterBy(after)).list().Resources.map((r) => r.id)).toEqual([id]);
      expect((await filterBy(before)).list().totalResults).toBe(0);

      const retitled = await scim('PATCH', `/Users/${id}`, {
        body: patchOp({ op: 'replace', path: 'displayName', value: 'Pat Renamed' }),
      });
      expect(retitled.status, retitled.text).toBe(204);
      expect(app.people.get(after)?.name).toBe('Pat Renamed');

      const removed = await scim('DELETE', `/Users/${id}`);
      expect(removed.status, removed.text).toBe(204);
      expect(app.people.has(after)).toBe(false);
    },
  );
});
