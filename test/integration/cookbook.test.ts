/**
 * The cookbook of docs/mapping.md: every recipe in docs/recipes/ is a complete mapping for the
 * demo app, and each one is run here through SCIM against the real demo app, checking both what
 * the IdP is answered and what the app ends up holding.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { type DemoApp, startDemoApp } from '../../src/demo/demo-app.js';
import type { Account } from '../../src/demo/demo-store.js';
import { MemoryIdMapStore } from '../../src/idmap/memory-store.js';
import { loadMapping } from '../../src/mapping/load-mapping.js';
import {
  BASE_PATH,
  deploymentConfig,
  entraUser,
  GROUP_SCHEMA,
  patchOp,
  type ScimClient,
  type ScimResource,
  send,
  toUpstreamCall,
  UPSTREAM_API_KEY,
  type UpstreamCall,
} from '../helpers/sidecar.js';

const RECIPES_DIR = fileURLToPath(new URL('../../docs/recipes/', import.meta.url));
const MAPPING_DOC = fileURLToPath(new URL('../../docs/mapping.md', import.meta.url));

/** A log line as pino writes it. */
type LogLine = Record<string, unknown> & { level: number; msg?: string };

/** The sidecar built from one recipe, in front of its own demo app. */
interface RecipeSidecar {
  app: FastifyInstance;
  demo: DemoApp;
  idMap: MemoryIdMapStore;
  /** Every mapped call made to the app, in order. */
  calls: UpstreamCall[];
  /** Every line the sidecar logged (info and above). */
  logs: LogLine[];
  scim: ScimClient;
  close(): Promise<void>;
}

function recipeFile(name: string): string {
  return `${RECIPES_DIR}${name}`;
}

function recipeText(name: string): string {
  return readFileSync(recipeFile(name), 'utf8');
}

/**
 * The demo app plus a sidecar loaded with a recipe (or a variant of its text), recording the
 * calls toward the app and the sidecar's own log lines.
 */
async function startRecipe(name: string, text?: string): Promise<RecipeSidecar> {
  const demo = await startDemoApp({ apiKey: UPSTREAM_API_KEY });
  const calls: UpstreamCall[] = [];
  const agent = new Agent();
  const dispatcher = agent.compose((dispatch) => (options, handler) => {
    calls.push(toUpstreamCall(options.method, options.path, options.headers, options.body));
    return dispatch(options, handler);
  });
  const logs: LogLine[] = [];
  const logger = pino(
    { level: 'info' },
    {
      write(line: string) {
        logs.push(JSON.parse(line) as LogLine);
      },
    },
  );
  const idMap = new MemoryIdMapStore();
  try {
    const file = recipeFile(name);
    const mapping = loadMapping(file, text);
    const app = await buildApp(deploymentConfig(demo.url, file), mapping, {
      dispatcher,
      idMapStore: idMap,
      logger,
      auditLogger: null,
    });
    await app.ready();
    return {
      app,
      demo,
      idMap,
      calls,
      logs,
      scim: (method, path, options) => send(app, method, `${BASE_PATH}${path}`, options),
      async close() {
        await app.close();
        await agent.close();
        await demo.close();
      },
    };
  } catch (error) {
    await agent.close();
    await demo.close();
    throw error;
  }
}

/** Method and path of the calls that reached the app, e.g. `POST /api/accounts/1001/disable`. */
function trace(calls: UpstreamCall[]): string[] {
  return calls.map(
    (c) => `${c.method} ${c.path}${c.search === '' ? '' : `?${decodeURIComponent(c.search)}`}`,
  );
}

function filterPath(filter: string): string {
  return `/Users?filter=${encodeURIComponent(filter)}`;
}

async function createUser(sc: RecipeSidecar, body: Record<string, unknown>): Promise<ScimResource> {
  const res = await sc.scim('POST', '/Users', { body });
  expect(res.status, res.text).toBe(201);
  return res.resource();
}

async function appIdOf(sc: RecipeSidecar, type: 'User' | 'Group', scimId: string): Promise<number> {
  const entry = await sc.idMap.get(type, scimId);
  expect(entry, `${type} ${scimId} in the id map`).toBeDefined();
  return Number(entry?.appId);
}

async function accountOf(sc: RecipeSidecar, scimId: string): Promise<Account> {
  const account = sc.demo.store.getAccount(await appIdOf(sc, 'User', scimId));
  expect(account).toBeDefined();
  return account as Account;
}

/** PATCH as Microsoft Entra ID sends it: capitalised ops, 204 without a body. */
async function entraPatch(
  sc: RecipeSidecar,
  path: string,
  ...operations: Array<Record<string, unknown>>
): Promise<void> {
  const res = await sc.scim('PATCH', path, { body: patchOp(...operations) });
  expect(res.status, res.text).toBe(204);
}

async function getUser(sc: RecipeSidecar, scimId: string): Promise<ScimResource> {
  const res = await sc.scim('GET', `/Users/${scimId}`);
  expect(res.status, res.text).toBe(200);
  return res.resource();
}

async function findUsers(sc: RecipeSidecar, filter: string): Promise<ScimResource[]> {
  const res = await sc.scim('GET', filterPath(filter));
  expect(res.status, res.text).toBe(200);
  return res.list().Resources;
}

function seedAccount(sc: RecipeSidecar, fields: Partial<Account> & { login: string }): Account {
  return sc.demo.store.createAccount({ first_name: 'Pre', last_name: 'Existing', ...fields });
}

describe('every recipe in docs/recipes', () => {
  const recipes = readdirSync(RECIPES_DIR).filter((f) => f.endsWith('.yaml'));

  it('is a valid mapping that the loader compiles', () => {
    expect(recipes.length).toBeGreaterThanOrEqual(8);
    for (const recipe of recipes) {
      const mapping = loadMapping(recipeFile(recipe));
      expect(mapping.resources.User, recipe).toBeDefined();
    }
  });

  it('is shown in docs/mapping.md and run by this file', () => {
    const doc = readFileSync(MAPPING_DOC, 'utf8');
    const self = readFileSync(fileURLToPath(import.meta.url), 'utf8');
    for (const recipe of recipes) {
      expect(doc, recipe).toContain(`docs/recipes/${recipe}`);
      expect(self, recipe).toContain(`startRecipe('${recipe}'`);
    }
  });
});

describe('recipe mailbox-username-preserve.yaml: userName jdoe@contoso.com, app login jdoe', () => {
  let sc: RecipeSidecar;
  beforeAll(async () => {
    sc = await startRecipe('mailbox-username-preserve.yaml');
  });
  afterAll(async () => {
    await sc.close();
  });
  beforeEach(() => {
    sc.calls.length = 0;
  });

  let jdoe: ScimResource;

  it('stores the mailbox name and answers the address the IdP sent', async () => {
    jdoe = await createUser(sc, entraUser('jdoe@contoso.com'));
    expect(jdoe.userName).toBe('jdoe@contoso.com');
    expect((await accountOf(sc, jdoe.id)).login).toBe('jdoe');
    expect((await getUser(sc, jdoe.id)).userName).toBe('jdoe@contoso.com');
    const entry = await sc.idMap.get('User', jdoe.id);
    expect(entry?.preserved).toEqual({ userName: { original: 'jdoe@contoso.com', derived: 'jdoe' } });
  });

  it('finds the user by its address, with one search for login=jdoe in the app', async () => {
    sc.calls.length = 0;
    const found = await findUsers(sc, 'userName eq "jdoe@contoso.com"');
    expect(found.map((u) => [u.id, u.userName])).toEqual([[jdoe.id, 'jdoe@contoso.com']]);
    expect(trace(sc.calls)).toEqual(['GET /api/accounts?offset=0&limit=200&login=jdoe']);
    // Case does not matter to SCIM's userName (caseExact false) nor to the app's login search.
    expect((await findUsers(sc, 'userName eq "JDoe@Contoso.com"')).map((u) => u.id)).toEqual([jdoe.id]);
  });

  it('keeps the address through PATCH and follows a userName change', async () => {
    await entraPatch(sc, `/Users/${jdoe.id}`, { op: 'Replace', path: 'title', value: 'Engineer' });
    expect(await accountOf(sc, jdoe.id)).toMatchObject({ login: 'jdoe', title: 'Engineer' });
    expect((await getUser(sc, jdoe.id)).userName).toBe('jdoe@contoso.com');

    await entraPatch(sc, `/Users/${jdoe.id}`, {
      op: 'Replace',
      path: 'userName',
      value: 'john.doe@contoso.com',
    });
    expect((await accountOf(sc, jdoe.id)).login).toBe('john.doe');
    expect((await getUser(sc, jdoe.id)).userName).toBe('john.doe@contoso.com');
  });

  it('answers the new login once the account is renamed in the app itself', async () => {
    const account = await accountOf(sc, jdoe.id);
    sc.demo.store.replaceAccount(account.id, { ...account, login: 'jd' });
    expect((await getUser(sc, jdoe.id)).userName).toBe('jd');
  });

  it('does not know the address of an account created in the app before the adapter', async () => {
    seedAccount(sc, { login: 'asmith' });
    // The app is searched (login=asmith), but nothing ever told the adapter the address.
    expect(await findUsers(sc, 'userName eq "asmith@contoso.com"')).toEqual([]);
    expect((await findUsers(sc, 'userName eq "asmith"')).map((u) => u.userName)).toEqual(['asmith']);
    // So the IdP, finding nothing, creates it, and the app refuses the taken login.
    const res = await sc.scim('POST', '/Users', { body: entraUser('asmith@contoso.com') });
    expect(res.status, res.text).toBe(409);
    expect(res.error()).toMatchObject({
      scimType: 'uniqueness',
      detail: 'The app rejected User.create (HTTP 409): login already exists',
    });
  });
});

describe('recipe mailbox-username-domain.yaml: the domain cut off and appended again', () => {
  let sc: RecipeSidecar;
  beforeAll(async () => {
    sc = await startRecipe('mailbox-username-domain.yaml');
  });
  afterAll(async () => {
    await sc.close();
  });
  beforeEach(() => {
    sc.calls.length = 0;
  });

  it('stores the mailbox name and answers the address, with nothing kept in the id map', async () => {
    const jdoe = await createUser(sc, entraUser('jdoe@contoso.com'));
    expect(jdoe.userName).toBe('jdoe@contoso.com');
    expect((await accountOf(sc, jdoe.id)).login).toBe('jdoe');
    expect((await sc.idMap.get('User', jdoe.id))?.preserved).toBeUndefined();
    expect((await findUsers(sc, 'userName eq "jdoe@contoso.com"')).map((u) => u.id)).toEqual([jdoe.id]);
  });

  it('finds an account created in the app before the adapter by its address', async () => {
    const asmith = seedAccount(sc, { login: 'asmith', email: 'asmith@contoso.com' });
    sc.calls.length = 0;
    const found = await findUsers(sc, 'userName eq "ASmith@contoso.com"');
    expect(trace(sc.calls)).toEqual(['GET /api/accounts?offset=0&limit=200&login=ASmith']);
    expect(found.map((u) => u.userName)).toEqual(['asmith@contoso.com']);
    // Found means adopted: the IdP can go on with PATCH on the id it was given.
    await entraPatch(sc, `/Users/${found[0]?.id}`, { op: 'Replace', path: 'active', value: 'False' });
    expect(sc.demo.store.getAccount(asmith.id)?.enabled).toBe(false);
  });

  it('takes over an account created in the app before the adapter when the IdP creates it', async () => {
    const bjones = seedAccount(sc, { login: 'bjones' });
    const res = await sc.scim('POST', '/Users', {
      body: entraUser('bjones@contoso.com', { name: { givenName: 'Bob', familyName: 'Jones' } }),
    });
    expect(res.status, res.text).toBe(201);
    expect(res.resource().userName).toBe('bjones@contoso.com');
    expect(await appIdOf(sc, 'User', res.resource().id)).toBe(bjones.id);
    expect(sc.demo.store.getAccount(bjones.id)).toMatchObject({ first_name: 'Bob', last_name: 'Jones' });
  });

  it('stores addresses in other domains whole (guests)', async () => {
    const guest = await createUser(sc, entraUser('guest@fabrikam.com'));
    expect(guest.userName).toBe('guest@fabrikam.com');
    expect((await accountOf(sc, guest.id)).login).toBe('guest@fabrikam.com');
    sc.calls.length = 0;
    expect((await findUsers(sc, 'userName eq "guest@fabrikam.com"')).map((u) => u.id)).toEqual([guest.id]);
    expect(trace(sc.calls)).toEqual(['GET /api/accounts?offset=0&limit=200&login=guest@fabrikam.com']);
  });
});

describe('recipe mobile-phone.yaml: phoneNumbers[type eq "mobile"].value is the app\'s phone', () => {
  let sc: RecipeSidecar;
  let user: ScimResource;
  beforeAll(async () => {
    sc = await startRecipe('mobile-phone.yaml');
    user = await createUser(sc, entraUser('mobile@contoso.com'));
  });
  afterAll(async () => {
    await sc.close();
  });
  beforeEach(() => {
    sc.calls.length = 0;
  });

  const MOBILE = 'phoneNumbers[type eq "mobile"].value';

  it('creates the mobile number on Entra\'s first "Add" to the path', async () => {
    expect((await accountOf(sc, user.id)).phone).toBeNull();
    expect(user.phoneNumbers).toBeUndefined();
    await entraPatch(sc, `/Users/${user.id}`, { op: 'Add', path: MOBILE, value: '+1 555 0100' });
    expect((await accountOf(sc, user.id)).phone).toBe('+1 555 0100');
    const writes = sc.calls.filter((c) => c.method !== 'GET');
    expect(writes.map((c) => `${c.method} ${c.path}`)).toEqual([
      `PUT /api/accounts/${await appIdOf(sc, 'User', user.id)}`,
    ]);
    expect(writes[0]?.body).toMatchObject({ account: { phone: '+1 555 0100' } });
    expect((await getUser(sc, user.id)).phoneNumbers).toEqual([{ value: '+1 555 0100', type: 'mobile' }]);
  });

  it('replaces it on "Replace" and clears it on "Remove"', async () => {
    await entraPatch(sc, `/Users/${user.id}`, { op: 'Replace', path: MOBILE, value: '+1 555 0199' });
    expect((await accountOf(sc, user.id)).phone).toBe('+1 555 0199');
    await entraPatch(sc, `/Users/${user.id}`, { op: 'Remove', path: MOBILE });
    expect((await accountOf(sc, user.id)).phone).toBeNull();
    expect((await getUser(sc, user.id)).phoneNumbers).toBeUndefined();
  });

  it('takes the mobile entry of a create and leaves other numbers out', async () => {
    const created = await createUser(
      sc,
      entraUser('both@contoso.com', {
        phoneNumbers: [
          { type: 'work', value: '+1 555 0001' },
          { type: 'mobile', value: '+1 555 0002' },
        ],
      }),
    );
    expect((await accountOf(sc, created.id)).phone).toBe('+1 555 0002');
    expect(created.phoneNumbers).toEqual([{ value: '+1 555 0002', type: 'mobile' }]);
    // A work number has no place in the app: nothing is written for it.
    sc.calls.length = 0;
    await entraPatch(sc, `/Users/${created.id}`, {
      op: 'Add',
      path: 'phoneNumbers[type eq "work"].value',
      value: '+1 555 0003',
    });
    expect(sc.calls.filter((c) => c.method !== 'GET')).toEqual([]);
    expect((await getUser(sc, created.id)).phoneNumbers).toEqual([{ value: '+1 555 0002', type: 'mobile' }]);
  });

  it('with preserve: [phoneNumbers] added, reads answer the numbers the IdP sent', async () => {
    const text = recipeText('mobile-phone.yaml');
    const anchor = '  User:\n    id: id\n';
    expect(text).toContain(anchor);
    const variant = await startRecipe(
      'mobile-phone.yaml',
      text.replace(anchor, `${anchor}    preserve: [phoneNumbers]\n`),
    );
    try {
      const created = await createUser(variant, entraUser('keep@contoso.com'));
      await entraPatch(variant, `/Users/${created.id}`, {
        op: 'Add',
        path: 'phoneNumbers[type eq "work"].value',
        value: '+1 555 0003',
      });
      await entraPatch(variant, `/Users/${created.id}`, { op: 'Add', path: MOBILE, value: '+1 555 0004' });
      expect((await accountOf(variant, created.id)).phone).toBe('+1 555 0004');
      expect((await getUser(variant, created.id)).phoneNumbers).toEqual([
        { type: 'work', value: '+1 555 0003' },
        { type: 'mobile', value: '+1 555 0004' },
      ]);
    } finally {
      await variant.close();
    }
  });
});

describe('recipe soft-and-hard-delete.yaml: PATCH active=false disables, DELETE deletes', () => {
  let sc: RecipeSidecar;
  beforeAll(async () => {
    sc = await startRecipe('soft-and-hard-delete.yaml');
  });
  afterAll(async () => {
    await sc.close();
  });
  beforeEach(() => {
    sc.calls.length = 0;
  });

  it('soft delete: PATCH active=false is the disable call alone, active=true the enable call', async () => {
    const user = await createUser(sc, entraUser('soft@contoso.com'));
    const appId = await appIdOf(sc, 'User', user.id);
    sc.calls.length = 0;
    await entraPatch(sc, `/Users/${user.id}`, { op: 'Replace', path: 'active', value: 'False' });
    // Read the current state, disable: no update call, and no read-back.
    expect(trace(sc.calls)).toEqual([`GET /api/accounts/${appId}`, `POST /api/accounts/${appId}/disable`]);
    expect(sc.demo.store.getAccount(appId)?.enabled).toBe(false);
    expect((await getUser(sc, user.id)).active).toBe(false);

    sc.calls.length = 0;
    await entraPatch(sc, `/Users/${user.id}`, { op: 'Replace', path: 'active', value: 'True' });
    expect(trace(sc.calls)).toEqual([`GET /api/accounts/${appId}`, `POST /api/accounts/${appId}/enable`]);
    expect(sc.demo.store.getAccount(appId)?.enabled).toBe(true);
  });

  it('hard delete: DELETE deletes the account in the app', async () => {
    const user = await createUser(sc, entraUser('hard@contoso.com'));
    const appId = await appIdOf(sc, 'User', user.id);
    sc.calls.length = 0;
    const res = await sc.scim('DELETE', `/Users/${user.id}`);
    expect(res.status, res.text).toBe(204);
    expect(trace(sc.calls)).toEqual([`DELETE /api/accounts/${appId}`]);
    expect(sc.demo.store.getAccount(appId)).toBeUndefined();
    expect((await sc.scim('GET', `/Users/${user.id}`)).status).toBe(404);
    expect(await findUsers(sc, 'userName eq "hard@contoso.com"')).toEqual([]);
  });
});

describe('recipe delete-disables.yaml: DELETE only disables the account', () => {
  let sc: RecipeSidecar;
  beforeAll(async () => {
    sc = await startRecipe('delete-disables.yaml');
  });
  afterAll(async () => {
    await sc.close();
  });
  beforeEach(() => {
    sc.calls.length = 0;
  });

  let deletedId: string;
  let appId: number;

  it('DELETE is the disable call: the account stays, disabled, and SCIM answers 404', async () => {
    const user = await createUser(sc, entraUser('leaver@contoso.com', { title: 'Analyst' }));
    deletedId = user.id;
    appId = await appIdOf(sc, 'User', user.id);
    sc.calls.length = 0;
    const res = await sc.scim('DELETE', `/Users/${user.id}`);
    expect(res.status, res.text).toBe(204);
    expect(trace(sc.calls)).toEqual([`POST /api/accounts/${appId}/disable`]);
    expect(sc.demo.store.getAccount(appId)).toMatchObject({
      login: 'leaver@contoso.com',
      title: 'Analyst',
      enabled: false,
    });
    expect((await sc.scim('GET', `/Users/${user.id}`)).status).toBe(404);
    expect((await sc.scim('DELETE', `/Users/${user.id}`)).status).toBe(404);
  });

  it('leaves the disabled account out of filters and lists', async () => {
    expect(await findUsers(sc, 'userName eq "leaver@contoso.com"')).toEqual([]);
    const all = await sc.scim('GET', '/Users');
    expect(all.list().Resources.map((u) => u.userName)).not.toContain('leaver@contoso.com');
  });

  it('a later create of the same user takes the account over and enables it again', async () => {
    const again = await sc.scim('POST', '/Users', {
      body: entraUser('leaver@contoso.com', { externalId: 'rehired', title: 'Manager' }),
    });
    expect(again.status, again.text).toBe(201);
    const user = again.resource();
    expect(user.id).not.toBe(deletedId);
    expect(user).toMatchObject({ userName: 'leaver@contoso.com', active: true, externalId: 'rehired' });
    expect(await appIdOf(sc, 'User', user.id)).toBe(appId);
    expect(sc.demo.store.getAccount(appId)).toMatchObject({ title: 'Manager', enabled: true });
    expect(sc.demo.store.listAccounts({ login: 'leaver@contoso.com' }).total).toBe(1);
  });
});

describe('recipe display-name-joined.yaml: displayName = given + family name', () => {
  describe('with preserve: [displayName]', () => {
    let sc: RecipeSidecar;
    beforeAll(async () => {
      sc = await startRecipe('display-name-joined.yaml');
    });
    afterAll(async () => {
      await sc.close();
    });

    it('answers the joined name when the IdP sends that', async () => {
      const user = await createUser(
        sc,
        entraUser('jdoe@contoso.com', {
          displayName: 'John Doe',
          name: { givenName: 'John', familyName: 'Doe' },
        }),
      );
      expect(user.displayName).toBe('John Doe');
      expect((await sc.idMap.get('User', user.id))?.preserved).toBeUndefined();
    });

    it("keeps a different displayName from the IdP while the app's names are unchanged", async () => {
      const user = await createUser(
        sc,
        entraUser('johnny@contoso.com', {
          displayName: 'Johnny D.',
          name: { givenName: 'John', familyName: 'Dee' },
        }),
      );
      expect(await accountOf(sc, user.id)).toMatchObject({ first_name: 'John', last_name: 'Dee' });
      expect(user.displayName).toBe('Johnny D.');
      expect((await getUser(sc, user.id)).displayName).toBe('Johnny D.');
      // A SCIM change of the names keeps the IdP's displayName: the IdP sent it along again.
      await entraPatch(sc, `/Users/${user.id}`, { op: 'Replace', path: 'name.familyName', value: 'Doe' });
      expect(await accountOf(sc, user.id)).toMatchObject({ first_name: 'John', last_name: 'Doe' });
      expect((await getUser(sc, user.id)).displayName).toBe('Johnny D.');
      // A rename in the app itself: the preserved text no longer describes the account.
      const account = await accountOf(sc, user.id);
      sc.demo.store.replaceAccount(account.id, { ...account, first_name: 'Jonathan' });
      expect((await getUser(sc, user.id)).displayName).toBe('Jonathan Doe');
    });
  });

  describe('without preserve', () => {
    let sc: RecipeSidecar;
    beforeAll(async () => {
      const text = recipeText('display-name-joined.yaml');
      const line = '    preserve: [displayName]\n';
      expect(text).toContain(line);
      sc = await startRecipe('display-name-joined.yaml', text.replace(line, ''));
    });
    afterAll(async () => {
      await sc.close();
    });

    it('answers the joined name whatever displayName the IdP sent', async () => {
      const user = await createUser(
        sc,
        entraUser('johnny@contoso.com', {
          displayName: 'Johnny D.',
          name: { givenName: 'John', familyName: 'Dee' },
        }),
      );
      expect(user.displayName).toBe('John Dee');
      expect((await getUser(sc, user.id)).displayName).toBe('John Dee');
      await entraPatch(sc, `/Users/${user.id}`, { op: 'Replace', path: 'name.familyName', value: 'Doe' });
      expect((await getUser(sc, user.id)).displayName).toBe('John Doe');
    });

    it('splits a displayName at its first space when no names come with it', async () => {
      const body = entraUser('mas@contoso.com', { displayName: 'Mary Ann Smith' });
      delete body.name;
      const user = await createUser(sc, body);
      expect(await accountOf(sc, user.id)).toMatchObject({ first_name: 'Mary', last_name: 'Ann Smith' });
      expect(user.displayName).toBe('Mary Ann Smith');
    });
  });
});

describe('recipe matching.yaml: matching on userName, e-mail or externalId', () => {
  let sc: RecipeSidecar;
  let jdoe: ScimResource;
  let jdoeAppId: number;
  beforeAll(async () => {
    sc = await startRecipe('matching.yaml');
    jdoe = await createUser(sc, entraUser('jdoe@contoso.com', { externalId: 'entra-object-1' }));
    jdoeAppId = await appIdOf(sc, 'User', jdoe.id);
  });
  afterAll(async () => {
    await sc.close();
  });
  beforeEach(() => {
    sc.calls.length = 0;
  });

  it("userName eq: the app's login search", async () => {
    expect((await findUsers(sc, 'userName eq "jdoe@contoso.com"')).map((u) => u.id)).toEqual([jdoe.id]);
    expect(trace(sc.calls)).toEqual(['GET /api/accounts?offset=0&limit=200&login=jdoe@contoso.com']);
  });

  it("emails.value eq and emails eq: the app's e-mail search", async () => {
    expect((await findUsers(sc, 'emails.value eq "jdoe@contoso.com"')).map((u) => u.id)).toEqual([jdoe.id]);
    expect((await findUsers(sc, 'emails eq "jdoe@contoso.com"')).map((u) => u.id)).toEqual([jdoe.id]);
    expect(trace(sc.calls)).toEqual([
      'GET /api/accounts?offset=0&limit=200&email=jdoe@contoso.com',
      'GET /api/accounts?offset=0&limit=200&email=jdoe@contoso.com',
    ]);
  });

  it('an e-mail address two accounts share matches both', async () => {
    seedAccount(sc, { login: 'helpdesk1', email: 'helpdesk@contoso.com' });
    seedAccount(sc, { login: 'helpdesk2', email: 'helpdesk@contoso.com' });
    const found = await findUsers(sc, 'emails.value eq "helpdesk@contoso.com"');
    expect(found.map((u) => u.userName).sort()).toEqual(['helpdesk1', 'helpdesk2']);
  });

  it('a value filter on emails is evaluated in the adapter over the whole list', async () => {
    const found = await findUsers(sc, 'emails[type eq "work" and value eq "jdoe@contoso.com"]');
    expect(found.map((u) => u.id)).toEqual([jdoe.id]);
    expect(trace(sc.calls)).toEqual(['GET /api/accounts?offset=0&limit=200']);
  });

  it('externalId eq: answered from the id map with one read of the account', async () => {
    expect((await findUsers(sc, 'externalId eq "entra-object-1"')).map((u) => u.id)).toEqual([jdoe.id]);
    expect(trace(sc.calls)).toEqual([`GET /api/accounts/${jdoeAppId}`]);
  });

  it('externalId eq: finds no account the adapter did not provision', async () => {
    seedAccount(sc, { login: 'legacy', email: 'legacy@contoso.com' });
    expect(await findUsers(sc, 'externalId eq "entra-object-2"')).toEqual([]);
    expect(sc.calls).toEqual([]);
    // Matched by userName instead, the account is found (and adopted, without an externalId).
    const [legacy] = await findUsers(sc, 'userName eq "legacy"');
    expect(legacy?.externalId).toBeUndefined();
    await entraPatch(sc, `/Users/${legacy?.id}`, { op: 'Add', path: 'externalId', value: 'entra-object-2' });
    expect((await findUsers(sc, 'externalId eq "entra-object-2"')).map((u) => u.id)).toEqual([legacy?.id]);
  });
});

describe('recipe direct-members.yaml: nested groups are left out, with a log line', () => {
  let sc: RecipeSidecar;
  let alice: ScimResource;
  let bob: ScimResource;
  let engineering: ScimResource;
  beforeAll(async () => {
    sc = await startRecipe('direct-members.yaml');
    alice = await createUser(sc, entraUser('alice@contoso.com'));
    bob = await createUser(sc, entraUser('bob@contoso.com'));
  });
  afterAll(async () => {
    await sc.close();
  });
  beforeEach(() => {
    sc.calls.length = 0;
    sc.logs.length = 0;
  });

  function nestedGroupLines(): LogLine[] {
    return sc.logs.filter(
      (l) => l.msg === 'ignored Group members of a Group (nested groups are not supported)',
    );
  }

  async function teamMembers(groupId: string): Promise<number[]> {
    return sc.demo.store.getTeam(await appIdOf(sc, 'Group', groupId))?.member_ids ?? [];
  }

  it('creates a group of users with their account ids', async () => {
    const res = await sc.scim('POST', '/Groups', {
      body: { schemas: [GROUP_SCHEMA], displayName: 'Engineering', members: [{ value: alice.id }] },
    });
    expect(res.status, res.text).toBe(201);
    engineering = res.resource();
    expect(await teamMembers(engineering.id)).toEqual([await appIdOf(sc, 'User', alice.id)]);
    expect(nestedGroupLines()).toEqual([]);
  });

  it('create: a Group member is left out and logged, the users go through', async () => {
    const res = await sc.scim('POST', '/Groups', {
      body: {
        schemas: [GROUP_SCHEMA],
        displayName: 'All staff',
        members: [{ value: bob.id }, { value: engineering.id }],
      },
    });
    expect(res.status, res.text).toBe(201);
    const allStaff = res.resource();
    expect(allStaff.members).toEqual([expect.objectContaining({ value: bob.id, type: 'User' })]);
    expect(await teamMembers(allStaff.id)).toEqual([await appIdOf(sc, 'User', bob.id)]);
    expect(nestedGroupLines()).toEqual([
      expect.objectContaining({ level: 30, members: 1, examples: [engineering.id] }),
    ]);
  });

  it('PATCH add: a Group member is left out and logged, the User member is added', async () => {
    const [allStaff] = (
      await sc.scim('GET', `/Groups?filter=${encodeURIComponent('displayName eq "All staff"')}`)
    ).list().Resources;
    expect(allStaff).toBeDefined();
    const groupId = allStaff?.id ?? '';
    sc.calls.length = 0;
    sc.logs.length = 0;
    await entraPatch(sc, `/Groups/${groupId}`, {
      op: 'Add',
      path: 'members',
      value: [{ value: engineering.id }, { value: alice.id }],
    });
    const teamId = await appIdOf(sc, 'Group', groupId);
    const aliceAppId = await appIdOf(sc, 'User', alice.id);
    expect(sc.calls.filter((c) => c.method !== 'GET').map((c) => [c.method, c.path, c.body])).toEqual([
      ['POST', `/api/teams/${teamId}/members`, { account_id: aliceAppId }],
    ]);
    expect(await teamMembers(groupId)).toEqual([await appIdOf(sc, 'User', bob.id), aliceAppId]);
    expect(nestedGroupLines()).toHaveLength(1);
    expect(nestedGroupLines()[0]).toMatchObject({ level: 30, members: 1, examples: [engineering.id] });
  });

  it('an unknown member is left out too, with a warning', async () => {
    const res = await sc.scim('POST', '/Groups', {
      body: {
        schemas: [GROUP_SCHEMA],
        displayName: 'Contractors',
        members: [{ value: '00000000-0000-4000-8000-000000000000' }, { value: alice.id }],
      },
    });
    expect(res.status, res.text).toBe(201);
    expect(await teamMembers(res.resource().id)).toEqual([await appIdOf(sc, 'User', alice.id)]);
    expect(sc.logs).toContainEqual(
      expect.objectContaining({
        level: 40,
        members: 1,
        examples: ['00000000-0000-4000-8000-000000000000'],
        msg: 'ignored unknown members (not Users provisioned through this endpoint)',
      }),
    );
  });
});
