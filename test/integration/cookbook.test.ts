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

describe('recipe disable-in-two-calls.yaml: the disable call, then a follow-up clearing the department', () => {
  const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
  const leaver = (userName: string) => entraUser(userName, { [ENTERPRISE]: { department: 'Sales' } });

  it('PATCH active=false: the disable call, then the follow-up; both show in the app', async () => {
    const sc = await startRecipe('disable-in-two-calls.yaml');
    try {
      const user = await createUser(sc, leaver('two-calls@contoso.com'));
      const appId = await appIdOf(sc, 'User', user.id);
      expect(sc.demo.store.getAccount(appId)).toMatchObject({ enabled: true, department: 'Sales' });
      sc.calls.length = 0;
      await entraPatch(sc, `/Users/${user.id}`, { op: 'Replace', path: 'active', value: 'False' });
      expect(trace(sc.calls)).toEqual([
        `GET /api/accounts/${appId}`,
        `POST /api/accounts/${appId}/disable`,
        `PATCH /api/accounts/${appId}`,
      ]);
      expect(sc.demo.store.getAccount(appId)).toMatchObject({ enabled: false, department: null });
      // Enabling is the one call: the department is the IdP's to send again.
      sc.calls.length = 0;
      await entraPatch(sc, `/Users/${user.id}`, { op: 'Replace', path: 'active', value: 'True' });
      expect(trace(sc.calls)).toEqual([`GET /api/accounts/${appId}`, `POST /api/accounts/${appId}/enable`]);
    } finally {
      await sc.close();
    }
  });

  it("a follow-up the app refuses in a 200 fails the PATCH with the rule's error; the retry makes the disable again", async () => {
    // A variant whose follow-up sends a value the app refuses.
    const text = recipeText('disable-in-two-calls.yaml').replace(
      '{ "account": { "department": null } }',
      '{ "account": { "department": null, "email": 42 } }',
    );
    const sc = await startRecipe('disable-in-two-calls.yaml', text);
    try {
      const user = await createUser(sc, leaver('refused@contoso.com'));
      const appId = await appIdOf(sc, 'User', user.id);
      const before = await sc.idMap.get('User', user.id);
      const res = await sc.scim('PATCH', `/Users/${user.id}`, {
        body: patchOp({ op: 'Replace', path: 'active', value: 'False' }),
      });
      expect(res.status, res.text).toBe(502);
      expect(res.error().detail).toMatch(/^The app did not clear the leaver's department: /);
      expect(await sc.idMap.get('User', user.id)).toEqual({ ...before, pendingActive: false });
      // The disable itself was made, but not its follow-up: the IdP's retry makes both again
      // (and fails again, since this variant's follow-up is always refused).
      expect(sc.demo.store.getAccount(appId)?.enabled).toBe(false);
      sc.calls.length = 0;
      const retried = await sc.scim('PATCH', `/Users/${user.id}`, {
        body: patchOp({ op: 'Replace', path: 'active', value: 'False' }),
      });
      expect(retried.status, retried.text).toBe(502);
      expect(trace(sc.calls)).toEqual([
        `GET /api/accounts/${appId}`,
        `POST /api/accounts/${appId}/disable`,
        `PATCH /api/accounts/${appId}`,
      ]);
    } finally {
      await sc.close();
    }
  });
});

describe("recipe default-department-lookup.yaml: the directory's default department, asked for once", () => {
  const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

  it('asks the app once, with the first create that needs it, and gives the default to users without one', async () => {
    const sc = await startRecipe('default-department-lookup.yaml');
    try {
      const first = await createUser(sc, entraUser('newcomer@contoso.com'));
      expect(trace(sc.calls)).toEqual(['GET /api/directory', 'POST /api/accounts']);
      expect(await accountOf(sc, first.id)).toMatchObject({ department: 'General' });
      expect(first[ENTERPRISE]).toEqual({ department: 'General' });

      sc.calls.length = 0;
      const second = await createUser(sc, entraUser('second@contoso.com'));
      const sales = await createUser(
        sc,
        entraUser('seller@contoso.com', { [ENTERPRISE]: { department: 'Sales' } }),
      );
      // Kept: no second lookup; a department the IdP sends wins.
      expect(trace(sc.calls)).toEqual(['POST /api/accounts', 'POST /api/accounts']);
      expect(await accountOf(sc, second.id)).toMatchObject({ department: 'General' });
      expect(await accountOf(sc, sales.id)).toMatchObject({ department: 'Sales' });
    } finally {
      await sc.close();
    }
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

describe('recipe page-number-paging.yaml: page=N&per_page=M, the total in X-Total-Count', () => {
  let sc: RecipeSidecar;
  let logins: string[];
  beforeAll(async () => {
    // Pages of 3, so that a few accounts make several pages.
    const text = recipeText('page-number-paging.yaml');
    expect(text).toContain('pageSize: 50');
    sc = await startRecipe('page-number-paging.yaml', text.replace('pageSize: 50', 'pageSize: 3'));
    logins = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'];
    for (const login of logins) seedAccount(sc, { login });
  });
  afterAll(async () => {
    await sc.close();
  });
  beforeEach(() => {
    sc.calls.length = 0;
  });

  async function window(query: string): Promise<{ names: unknown[]; total: number }> {
    const res = await sc.scim('GET', `/Users${query}`);
    expect(res.status, res.text).toBe(200);
    return { names: res.list().Resources.map((u) => u.userName), total: res.list().totalResults };
  }

  it('startIndex=2&count=2 is items 2 and 3 of page 1', async () => {
    expect(await window('?startIndex=2&count=2')).toEqual({ names: ['p2', 'p3'], total: 7 });
    expect(trace(sc.calls)).toEqual(['GET /api/accounts?page=1&per_page=3']);
  });

  it('a window across two pages reads both, and one past the end is empty', async () => {
    expect(await window('?startIndex=3&count=3')).toEqual({ names: ['p3', 'p4', 'p5'], total: 7 });
    expect(await window('?startIndex=10&count=3')).toEqual({ names: [], total: 7 });
    expect(trace(sc.calls)).toEqual([
      'GET /api/accounts?page=1&per_page=3',
      'GET /api/accounts?page=2&per_page=3',
      // Page 4 does not exist: the app answers 400, and page 1 tells the total.
      'GET /api/accounts?page=4&per_page=3',
      'GET /api/accounts?page=1&per_page=3',
    ]);
  });

  it('a filter the app cannot search reads every page, up to the total', async () => {
    const found = await findUsers(sc, 'userName sw "p"');
    expect(found.map((u) => u.userName)).toEqual(logins);
    expect(trace(sc.calls)).toEqual([
      'GET /api/accounts?page=1&per_page=3',
      'GET /api/accounts?page=2&per_page=3',
      'GET /api/accounts?page=3&per_page=3',
    ]);
  });

  it('with `paging: { next: $links.next }`, the Link header leads from page to page', async () => {
    const text = recipeText('page-number-paging.yaml')
      .replace('pageSize: 50', 'pageSize: 3')
      .replace('paging: page', "paging: { next: '$links.next' }");
    const linked = await startRecipe('page-number-paging.yaml', text);
    try {
      for (const login of logins) seedAccount(linked, { login });
      const found = await findUsers(linked, 'userName sw "p"');
      expect(found.map((u) => u.userName)).toEqual(logins);
      expect(trace(linked.calls)).toEqual([
        'GET /api/accounts?page=1&per_page=3',
        'GET /api/accounts?page=2&per_page=3',
        'GET /api/accounts?page=3&per_page=3',
      ]);
    } finally {
      await linked.close();
    }
  });
});

describe("recipe protected-accounts.yaml: the app's own accounts stay out of SCIM", () => {
  let sc: RecipeSidecar;
  let admin: Account;
  beforeAll(async () => {
    sc = await startRecipe('protected-accounts.yaml');
    admin = seedAccount(sc, { login: 'admin' });
    seedAccount(sc, { login: 'system' });
    seedAccount(sc, { login: 'jdoe' });
    sc.demo.store.createTeam({ name: 'Administrators', member_ids: [admin.id] });
  });
  afterAll(async () => {
    await sc.close();
  });
  beforeEach(() => {
    sc.calls.length = 0;
  });

  it('lists and finds only the other accounts and teams', async () => {
    const all = await sc.scim('GET', '/Users');
    expect(all.list().Resources.map((u) => u.userName)).toEqual(['jdoe']);
    expect(all.list().totalResults).toBe(1); // the adapter counts what the IdP may see
    expect(await findUsers(sc, 'userName eq "admin"')).toEqual([]);
    expect((await sc.scim('GET', '/Groups')).list().Resources).toEqual([]);
    expect(await sc.idMap.findByAppId('User', String(admin.id))).toBeUndefined();
  });

  it('answers 409 to a create of a protected account, without a call to the app', async () => {
    const res = await sc.scim('POST', '/Users', { body: entraUser('admin') });
    expect(res.status, res.text).toBe(409);
    expect(sc.calls.filter((c) => c.method === 'POST')).toEqual([]);
  });
});

describe('recipe id-from-location.yaml: a create answered with a receipt and a Location', () => {
  let sc: RecipeSidecar;
  beforeAll(async () => {
    sc = await startRecipe('id-from-location.yaml');
  });
  afterAll(async () => {
    await sc.close();
  });
  beforeEach(() => {
    sc.calls.length = 0;
  });

  it('takes the id from Location and reads the account: 201 with the account', async () => {
    const user = await createUser(sc, entraUser('receipt@contoso.com'));
    const appId = await appIdOf(sc, 'User', user.id);
    expect(user.userName).toBe('receipt@contoso.com');
    expect(trace(sc.calls)).toEqual(['POST /api/accounts', `GET /api/accounts/${appId}`]);
    expect(sc.calls[0]?.headers.prefer).toBe('return=minimal');
  });

  it("or from the app's own header, with idFrom: { header: X-Account-Id }", async () => {
    const text = recipeText('id-from-location.yaml');
    expect(text).toContain('idFrom: location\n');
    const variant = await startRecipe(
      'id-from-location.yaml',
      text.replace('idFrom: location\n', 'idFrom: { header: X-Account-Id }\n'),
    );
    try {
      const user = await createUser(variant, entraUser('header@contoso.com'));
      expect((await accountOf(variant, user.id)).login).toBe('header@contoso.com');
    } finally {
      await variant.close();
    }
  });
});

describe('recipe one-search-parameter.yaml: the list call and the push-downs share `q`', () => {
  let sc: RecipeSidecar;
  beforeAll(async () => {
    sc = await startRecipe('one-search-parameter.yaml');
    seedAccount(sc, { login: 'jdoe', email: 'john@contoso.com' });
    seedAccount(sc, { login: 'jdoe2', email: 'jane@contoso.com' });
  });
  afterAll(async () => {
    await sc.close();
  });
  beforeEach(() => {
    sc.calls.length = 0;
  });

  it("sends the push-down's q in place of the list call's, once", async () => {
    const found = await findUsers(sc, 'userName eq "jdoe"');
    // q=jdoe also matches jdoe2 in the app; the adapter's own check of the filter keeps jdoe.
    expect(found.map((u) => u.userName)).toEqual(['jdoe']);
    expect(trace(sc.calls)).toEqual(['GET /api/accounts?offset=0&limit=200&q=jdoe']);
    expect(sc.calls[0]?.query.filter(([name]) => name === 'q')).toEqual([['q', 'jdoe']]);
  });

  it('lists everything with q= when nothing is searched', async () => {
    const all = await sc.scim('GET', '/Users');
    expect(all.list().Resources.map((u) => u.userName)).toEqual(['jdoe', 'jdoe2']);
    // The SCIM window (count defaults to 100) is what the offset call asks for.
    expect(trace(sc.calls)).toEqual(['GET /api/accounts?offset=0&limit=100&q=']);
  });

  it('validate warns about each overlapping parameter', () => {
    const warnings = loadMapping(recipeFile('one-search-parameter.yaml')).warnings ?? [];
    expect(warnings.map((w) => w.path)).toEqual([
      'resources.User.filters.userName.query.q',
      'resources.User.filters.emails.value.query.q',
    ]);
  });
});

describe('recipe answered-failures.yaml: a 200 that says the update failed', () => {
  let sc: RecipeSidecar;
  let user: ScimResource;
  beforeAll(async () => {
    sc = await startRecipe('answered-failures.yaml');
    seedAccount(sc, { login: 'taken' });
    user = await createUser(sc, entraUser('jdoe', { externalId: 'ext-1' }));
  });
  afterAll(async () => {
    await sc.close();
  });
  beforeEach(() => {
    sc.calls.length = 0;
  });

  it('a change the app applies whole is a 204', async () => {
    await entraPatch(sc, `/Users/${user.id}`, { op: 'Replace', path: 'title', value: 'Engineer' });
    expect((await accountOf(sc, user.id)).title).toBe('Engineer');
  });

  it('a change the app applies in part is a 400 with its reason, recorded nowhere', async () => {
    const before = await sc.idMap.get('User', user.id);
    const res = await sc.scim('PATCH', `/Users/${user.id}`, {
      body: patchOp(
        { op: 'Replace', path: 'userName', value: 'taken' },
        { op: 'Replace', path: 'title', value: 'CTO' },
        { op: 'Replace', path: 'externalId', value: 'ext-2' },
      ),
    });
    expect(res.status, res.text).toBe(400);
    expect(res.error()).toMatchObject({
      scimType: 'invalidValue',
      detail: 'The app refused part of the change: login already exists',
    });
    // One call: an answered failure is not asked again.
    expect(trace(sc.calls).filter((c) => c.startsWith('PATCH'))).toHaveLength(1);
    expect(await sc.idMap.get('User', user.id)).toEqual(before);
    // The app kept the title it accepted; reads say so, and the IdP's retry sets the rest.
    expect(await accountOf(sc, user.id)).toMatchObject({ login: 'jdoe', title: 'CTO' });
    expect(await getUser(sc, user.id)).toMatchObject({ userName: 'jdoe', title: 'CTO', externalId: 'ext-1' });
  });

  it('without the rule, the same answer would be a 204 the IdP trusts', async () => {
    const text = recipeText('answered-failures.yaml');
    const rule = text.slice(text.indexOf('    errors:\n'), text.indexOf('    operations:\n'));
    expect(rule).toContain("when: 'ok = false and $exists(errors)'");
    const trusting = await startRecipe('answered-failures.yaml', text.replace(rule, ''));
    try {
      seedAccount(trusting, { login: 'taken' });
      const victim = await createUser(trusting, entraUser('jdoe'));
      const res = await trusting.scim('PATCH', `/Users/${victim.id}`, {
        body: patchOp({ op: 'Replace', path: 'userName', value: 'taken' }),
      });
      expect(res.status, res.text).toBe(204);
      expect((await accountOf(trusting, victim.id)).login).toBe('jdoe');
    } finally {
      await trusting.close();
    }
  });
});

describe('recipe members-by-login.yaml: members by login, from a sub-read', () => {
  let sc: RecipeSidecar;
  let alice: ScimResource;
  let bob: ScimResource;
  let team: ScimResource;
  let teamId: number;
  beforeAll(async () => {
    sc = await startRecipe('members-by-login.yaml');
    alice = await createUser(sc, entraUser('alice'));
    bob = await createUser(sc, entraUser('bob'));
  });
  afterAll(async () => {
    await sc.close();
  });
  beforeEach(() => {
    sc.calls.length = 0;
  });

  async function memberIdsOf(groupId: string): Promise<string[]> {
    const res = await sc.scim('GET', `/Groups/${groupId}`);
    expect(res.status, res.text).toBe(200);
    return ((res.resource().members as Array<{ value: string }> | undefined) ?? []).map((m) => m.value);
  }

  it('a create adds the members by login', async () => {
    const res = await sc.scim('POST', '/Groups', {
      body: {
        schemas: [GROUP_SCHEMA],
        displayName: 'Support',
        members: [{ value: alice.id }, { value: bob.id }],
      },
    });
    expect(res.status, res.text).toBe(201);
    team = res.resource();
    teamId = await appIdOf(sc, 'Group', team.id);
    expect(trace(sc.calls)).toEqual([
      'POST /api/teams',
      `POST /api/teams/${teamId}/logins`,
      `POST /api/teams/${teamId}/logins`,
    ]);
    expect(sc.calls.slice(1).map((c) => c.body)).toEqual([{ login: 'alice' }, { login: 'bob' }]);
    expect(sc.demo.store.teamLogins(teamId).items).toEqual(['alice', 'bob']);
  });

  it('a read merges the members from their endpoint and answers their SCIM ids', async () => {
    expect(await memberIdsOf(team.id)).toEqual([alice.id, bob.id]);
    expect(trace(sc.calls)).toEqual([
      `GET /api/teams/${teamId}`,
      `GET /api/teams/${teamId}/logins?page=1&per_page=100`,
    ]);
  });

  it('a read without members makes no member call', async () => {
    const res = await sc.scim('GET', `/Groups/${team.id}?excludedAttributes=members`);
    expect(res.status, res.text).toBe(200);
    expect(trace(sc.calls)).toEqual([`GET /api/teams/${teamId}`]);
  });

  it('a login added in the app is found with one search, and known from then on', async () => {
    const digits = seedAccount(sc, { login: '12345' });
    sc.demo.store.addTeamMember(teamId, digits.id);
    const members = await memberIdsOf(team.id);
    expect(members).toHaveLength(3);
    expect(trace(sc.calls).filter((c) => c.startsWith('GET /api/accounts'))).toEqual([
      'GET /api/accounts?offset=0&limit=200&login=12345',
    ]);
    sc.calls.length = 0;
    await memberIdsOf(team.id);
    expect(trace(sc.calls).filter((c) => c.startsWith('GET /api/accounts'))).toEqual([]);
  });

  it('PATCH remove and a rename: the login goes to the app, the members stay', async () => {
    await entraPatch(sc, `/Groups/${team.id}`, {
      op: 'Remove',
      path: 'members',
      value: [{ value: alice.id }],
    });
    expect(trace(sc.calls)).toEqual([`DELETE /api/teams/${teamId}/logins/alice`]);
    await entraPatch(sc, `/Groups/${team.id}`, { op: 'Replace', path: 'displayName', value: 'Support desk' });
    expect(sc.demo.store.getTeam(teamId)).toMatchObject({ name: 'Support desk' });
    expect(sc.demo.store.teamLogins(teamId).items).toEqual(['bob', '12345']);
  });

  it('with pages of 1, the members are read page by page', async () => {
    const text = recipeText('members-by-login.yaml');
    expect(text).toContain('pageSize: 100\n');
    const paged = await startRecipe(
      'members-by-login.yaml',
      text.replace('pageSize: 100\n', 'pageSize: 1\n'),
    );
    try {
      const a = await createUser(paged, entraUser('a1'));
      const b = await createUser(paged, entraUser('b1'));
      const res = await paged.scim('POST', '/Groups', {
        body: { schemas: [GROUP_SCHEMA], displayName: 'Paged', members: [{ value: a.id }, { value: b.id }] },
      });
      const id = await appIdOf(paged, 'Group', res.resource().id);
      paged.calls.length = 0;
      const read = await paged.scim('GET', `/Groups/${res.resource().id}`);
      expect((read.resource().members as Array<{ value: string }>).map((m) => m.value)).toEqual([a.id, b.id]);
      expect(trace(paged.calls)).toEqual([
        `GET /api/teams/${id}`,
        `GET /api/teams/${id}/logins?page=1&per_page=1`,
        `GET /api/teams/${id}/logins?page=2&per_page=1`,
      ]);
    } finally {
      await paged.close();
    }
  });
});
