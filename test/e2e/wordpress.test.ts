/**
 * scim-sidecar in front of a real WordPress 6.1 (mappings/wordpress.yaml), replaying what
 * Microsoft Entra sends. Every step is checked through WordPress's own REST API, and
 * deactivation through what a user can still do: sign in at wp-login.php, use an application
 * password, keep a browser session.
 *
 * Needs the WordPress that `../shared/legacy-apps/wordpress/start.sh <env file>` starts; without
 * it the suite is skipped with one line (REQUIRE_WORDPRESS=1, as in CI, makes that a failure).
 * It does not reset WordPress: its users carry this run's suffix, and it deletes what it leaves.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../src/cli/check.js';
import { loadConfig } from '../../src/config/load-config.js';
import { loadMapping } from '../../src/mapping/load-mapping.js';
import {
  expectStatus,
  filterQuery,
  idOf,
  patchOp,
  resourcesOf,
  SCHEMA,
  type ScimObject,
  type Sidecar,
  startSidecarFrom,
} from './sidecar.js';
import { WordPressApi } from './wordpress-api.js';
import { type WordPressInstance, wordpressSuitePolicy } from './wordpress-server.js';

const CONFIG = fileURLToPath(new URL('../../examples/wordpress/config.yaml', import.meta.url));

const policy = await wordpressSuitePolicy();
if (policy.mode === 'skip') console.warn(policy.message);
const suite = policy.mode === 'skip' ? describe.skip : describe;

/** Keeps this run's users apart from earlier runs' against the same WordPress. */
const RUN = randomBytes(3).toString('hex');

let workDir: string | undefined;
let instance: WordPressInstance;
let wordpress: WordPressApi;
let sidecar: Sidecar | undefined;
let adminId: number;
/** WordPress users the suite made, deleted at the end unless a test did. */
const made = new Set<number>();

function scim(): Sidecar {
  if (!sidecar) throw new Error('scim-sidecar did not start');
  return sidecar;
}

function appEnv(wp: WordPressInstance): NodeJS.ProcessEnv {
  return { WORDPRESS_URL: wp.url, WORDPRESS_USER: wp.user, WORDPRESS_APP_PASSWORD: wp.appPassword };
}

/** What Entra sends on create. */
function entraUser(userName: string, extra: ScimObject = {}): ScimObject {
  return {
    schemas: [SCHEMA.user],
    externalId: `ext-${userName}`,
    userName,
    active: true,
    displayName: 'Dave Jones',
    title: 'Engineer',
    emails: [{ primary: true, type: 'work', value: userName }],
    meta: { resourceType: 'User' },
    name: { formatted: 'Dave Jones', familyName: 'Jones', givenName: 'Dave' },
    ...extra,
  };
}

async function lookUp(userName: string): Promise<ScimObject[]> {
  return resourcesOf(await scim().request('GET', `/Users${filterQuery(`userName eq "${userName}"`)}`));
}

suite('WordPress 6.1 end to end', () => {
  beforeAll(async () => {
    if (policy.mode === 'fail') throw new Error(policy.message);
    if (policy.mode !== 'run') return;
    instance = policy.instance;
    wordpress = new WordPressApi(instance);
    adminId = (await wordpress.me()).id;
    workDir = await mkdtemp(join(tmpdir(), 'scim-sidecar-e2e-wp-'));
    sidecar = await startSidecarFrom(CONFIG, appEnv(instance), join(workDir, 'data'));
  });

  afterAll(async () => {
    await sidecar?.close();
    for (const id of made) if (wordpress) await wordpress.deleteUser(id);
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  describe('deployment', () => {
    it('is ready: the health call reaches WordPress with the application password', async () => {
      const response = await fetch(scim().baseUrl.replace(/\/scim\/v2$/, '/readyz'));
      expect(response.status).toBe(200);
    });

    it('fails loudly with a wrong application password (WordPress would answer it as a visitor)', async () => {
      const wrong = await startSidecarFrom(
        CONFIG,
        { ...appEnv(instance), WORDPRESS_APP_PASSWORD: 'wrongwrongwrongwrongwron' },
        join(workDir ?? tmpdir(), 'data-wrong'),
      );
      try {
        expect((await fetch(wrong.baseUrl.replace(/\/scim\/v2$/, '/readyz'))).status).toBe(503);
        const answer = await wrong.request('GET', '/Users');
        expectStatus(answer, 502);
        expect(answer.body.detail).toContain("The app refused the adapter's credentials (HTTP 401)");
      } finally {
        await wrong.close();
      }
    });

    it('advertises what round-trips, and no groups', async () => {
      const schema = await scim().request('GET', `/Schemas/${SCHEMA.user}`);
      expectStatus(schema, 200);
      const names = (schema.body.attributes as Array<{ name: string }>).map((a) => a.name);
      expect(names).toEqual(expect.arrayContaining(['userName', 'name', 'displayName', 'emails', 'active']));
      expect(names).not.toContain('password');
      expect((await scim().request('GET', '/Groups')).status).toBe(404);
    });
  });

  /** How one Microsoft Entra PATCH dialect writes each change. */
  interface EntraDialect {
    name: string;
    tag: string;
    updateUser(change: { givenName: string; displayName: string; email: string }): ScimObject[];
    setActive(active: boolean): ScimObject[];
    rename(userName: string): ScimObject[];
  }

  const ENTRA_DEFAULT: EntraDialect = {
    name: 'default (path-ed ops, "True"/"False" strings)',
    tag: 'std',
    updateUser: (c) => [
      { op: 'Replace', path: 'displayName', value: c.displayName },
      { op: 'Replace', path: 'name.givenName', value: c.givenName },
      { op: 'Replace', path: 'emails[type eq "work"].value', value: c.email },
    ],
    setActive: (active) => [{ op: 'Replace', path: 'active', value: active ? 'True' : 'False' }],
    rename: (userName) => [{ op: 'Replace', path: 'userName', value: userName }],
  };

  const ENTRA_AAD_OPT: EntraDialect = {
    name: 'aadOptscim062020 (path-less replace with dotted keys)',
    tag: 'opt',
    updateUser: (c) => [
      {
        op: 'replace',
        value: {
          displayName: c.displayName,
          'name.givenName': c.givenName,
          'emails[type eq "work"].value': c.email,
        },
      },
    ],
    setActive: (active) => [{ op: 'replace', value: { active } }],
    rename: (userName) => [{ op: 'replace', value: { userName } }],
  };

  describe.each([ENTRA_DEFAULT, ENTRA_AAD_OPT])('Microsoft Entra cycle, $name', (dialect) => {
    const userName = `dave.jones.${dialect.tag}.${RUN}@contoso.com`;
    const knownPassword = `Known-${RUN}-${dialect.tag}-Pw1!`;
    let userId: string;
    let wpId: number;
    let session: string | undefined;

    it('Test Connection: a filter on a random userName answers an empty list', async () => {
      expect(await lookUp(randomUUID())).toEqual([]);
    });

    it('creates the user as a subscriber', async () => {
      const answer = await scim().request('POST', '/Users', entraUser(userName));
      expectStatus(answer, 201);
      userId = idOf(answer);
      expect(answer.body).toMatchObject({ userName, active: true, displayName: 'Dave Jones' });

      const user = await wordpress.userByUsername(userName);
      wpId = user.id;
      made.add(wpId);
      expect(user).toMatchObject({
        username: userName,
        email: userName,
        first_name: 'Dave',
        last_name: 'Jones',
        name: 'Dave Jones',
        roles: ['subscriber'],
      });
    });

    it('finds the user by userName (WordPress has no exact username search)', async () => {
      expect(await lookUp(userName)).toMatchObject([
        { id: userId, userName, active: true, externalId: `ext-${userName}`, displayName: 'Dave Jones' },
      ]);
      expect(await lookUp(userName.toUpperCase())).toMatchObject([{ id: userId }]);
      expect(await lookUp(`x${userName}`)).toEqual([]);
    });

    it('updates names and e-mail with PATCH, leaving a role given in WordPress alone', async () => {
      await wordpress.updateUser(wpId, { roles: ['author'] });
      const email = `davey.jones.${dialect.tag}.${RUN}@contoso.com`;
      const answer = await scim().request(
        'PATCH',
        `/Users/${userId}`,
        patchOp(...dialect.updateUser({ givenName: 'Davey', displayName: 'Davey Jones', email })),
      );
      expectStatus(answer, 200, 204);
      const read = await scim().request('GET', `/Users/${userId}`);
      expect(read.body).toMatchObject({
        name: { givenName: 'Davey', familyName: 'Jones' },
        displayName: 'Davey Jones',
        emails: [{ value: email }],
        active: true,
      });
      expect(await wordpress.user(wpId)).toMatchObject({
        username: userName,
        first_name: 'Davey',
        name: 'Davey Jones',
        email,
        roles: ['author'],
      });
    });

    it('disables the user: no role, a new random password, its browser sessions ended, its application passwords revoked', async () => {
      // The user's ways in, made as WordPress makes them: a password, a browser session and
      // application passwords (from its own profile page).
      await wordpress.updateUser(wpId, { password: knownPassword });
      session = await wordpress.logIn(userName, knownPassword);
      expect(session).toBeDefined();
      expect(await wordpress.sessionSignedIn(session ?? '')).toBe(true);
      const appPasswords = [
        await wordpress.createApplicationPassword(wpId, 'mail client'),
        await wordpress.createApplicationPassword(wpId, 'backup script'),
      ];
      for (const appPassword of appPasswords)
        expect(await wordpress.applicationPasswordWorks(userName, appPassword)).toBe(200);

      const answer = await scim().request('PATCH', `/Users/${userId}`, patchOp(...dialect.setActive(false)));
      expectStatus(answer, 200, 204);

      expect((await wordpress.user(wpId))?.roles).toEqual([]);
      expect(await wordpress.logIn(userName, knownPassword)).toBeUndefined();
      expect(await wordpress.sessionSignedIn(session ?? '')).toBe(false);
      for (const appPassword of appPasswords)
        expect(await wordpress.applicationPasswordWorks(userName, appPassword)).toBe(401);
      // Entra looks users up before every change: a disabled user must not look absent.
      expect(await lookUp(userName)).toMatchObject([{ id: userId, active: false }]);
      expect((await scim().request('GET', `/Users/${userId}`)).body).toMatchObject({ active: false });
    });

    it('enables the user again as a subscriber; the old password stays refused', async () => {
      const answer = await scim().request('PATCH', `/Users/${userId}`, patchOp(...dialect.setActive(true)));
      expectStatus(answer, 200, 204);
      expect(await wordpress.user(wpId)).toMatchObject({ roles: ['subscriber'], first_name: 'Davey' });
      expect(await wordpress.logIn(userName, knownPassword)).toBeUndefined();
      expect((await scim().request('GET', `/Users/${userId}`)).body).toMatchObject({ active: true });
    });

    it('refuses a rename (WordPress usernames never change) with 400 mutability', async () => {
      const answer = await scim().request(
        'PATCH',
        `/Users/${userId}`,
        patchOp(...dialect.rename(`renamed.${dialect.tag}.${RUN}@contoso.com`)),
      );
      expectStatus(answer, 400);
      expect(answer.body).toMatchObject({ scimType: 'mutability' });
      expect((await wordpress.user(wpId))?.username).toBe(userName);
      expect((await scim().request('GET', `/Users/${userId}`)).body).toMatchObject({ userName });
    });

    it('deletes the user, giving its posts to the account the adapter works as (looked up, not configured)', async () => {
      const post = await wordpress.createPost(wpId);
      expect((await scim().request('DELETE', `/Users/${userId}`)).status).toBe(204);
      expect(await wordpress.user(wpId)).toBeUndefined();
      made.delete(wpId);
      expect(await wordpress.postAuthor(post)).toBe(adminId);
      expect((await scim().request('GET', `/Users/${userId}`)).status).toBe(404);
      expect(await lookUp(userName)).toEqual([]);
      await wordpress.call('DELETE', `/posts/${post}?force=true`);
    });
  });

  describe('what WordPress refuses', () => {
    const carol = `carol.white.${RUN}@contoso.com`;

    it('answers a taken username (in another case) with 409, keeping the first user', async () => {
      const created = await scim().request('POST', '/Users', entraUser(carol));
      expectStatus(created, 201);
      made.add((await wordpress.userByUsername(carol)).id);
      const before = await wordpress.userCount();

      const again = await scim().request(
        'POST',
        '/Users',
        entraUser(carol.toUpperCase(), {
          emails: [{ value: `other.${carol}`, type: 'work', primary: true }],
        }),
      );
      expectStatus(again, 409);
      expect(again.body).toMatchObject({ status: '409', scimType: 'uniqueness' });
      expect(again.body.detail).toContain('username already exists');
      expect(await wordpress.userCount()).toBe(before);
    });

    it('answers a taken e-mail address with 409', async () => {
      const answer = await scim().request(
        'POST',
        '/Users',
        entraUser(`carol.other.${RUN}@contoso.com`, {
          emails: [{ value: carol, type: 'work', primary: true }],
        }),
      );
      expectStatus(answer, 409);
      expect(answer.body.detail).toContain('email address is already used');
    });

    it('takes over an account WordPress already has (a create whose answer was lost)', async () => {
      const userName = `lost.create.${RUN}@contoso.com`;
      const wpId = await wordpress.createUser({
        username: userName,
        email: userName,
        password: `Pw-${RUN}-lost`,
      });
      made.add(wpId);
      const before = await wordpress.userCount();

      const answer = await scim().request(
        'POST',
        '/Users',
        entraUser(userName, { displayName: 'Lost Create' }),
      );
      expectStatus(answer, 201);
      expect(await wordpress.userCount()).toBe(before);
      expect(await wordpress.user(wpId)).toMatchObject({ first_name: 'Dave', name: 'Lost Create' });
      expect(await lookUp(userName)).toMatchObject([{ id: idOf(answer) }]);
    });

    it('takes over an account whose username differs in case, and goes on writing to it', async () => {
      const userName = `mixed.case.${RUN}@contoso.com`;
      const wpId = await wordpress.createUser({
        username: `Mixed.Case.${RUN}@Contoso.com`,
        email: userName,
        password: `Pw-${RUN}-case`,
      });
      made.add(wpId);

      const answer = await scim().request(
        'POST',
        '/Users',
        entraUser(userName, { displayName: 'Mixed Case' }),
      );
      expectStatus(answer, 201);
      const patched = await scim().request(
        'PATCH',
        `/Users/${idOf(answer)}`,
        patchOp({ op: 'Replace', path: 'name.familyName', value: 'Case' }),
      );
      expectStatus(patched, 200, 204);
      expect(await wordpress.user(wpId)).toMatchObject({
        username: `Mixed.Case.${RUN}@Contoso.com`,
        name: 'Mixed Case',
        last_name: 'Case',
      });
    });

    it('refuses values WordPress would crash on or refuse, with 400 and nothing created', async () => {
      const before = await wordpress.userCount();
      const longMail = `${'m'.repeat(90)}.${RUN}@contoso.com`;
      const cases: Array<[ScimObject, string]> = [
        [entraUser(`long.mail.${RUN}@contoso.com`, { emails: [{ value: longMail, primary: true }] }), '100'],
        [entraUser(`${'u'.repeat(50)}.${RUN}@contoso.com`), 'longer than 60'],
        [entraUser(`plus+${RUN}@contoso.com`), 'illegal characters'],
      ];
      for (const [body, detail] of cases) {
        const answer = await scim().request('POST', '/Users', body);
        expectStatus(answer, 400);
        expect(answer.body).toMatchObject({ scimType: 'invalidValue' });
        expect(answer.body.detail).toContain(detail);
      }
      expect(await wordpress.userCount()).toBe(before);
    });
  });

  describe('the administrator is protected', () => {
    it('is never listed, found, adopted or changed through SCIM', async () => {
      const admin = await wordpress.me();
      expect(await lookUp(admin.username)).toEqual([]);
      const all = resourcesOf(await scim().request('GET', '/Users?count=100'));
      expect(all.map((u) => u.userName)).not.toContain(admin.username);

      // WordPress refuses the username (500 existing_user_login): the adapter looks for the
      // account to take over, finds only the protected administrator, and answers 409.
      const taken = await scim().request(
        'POST',
        '/Users',
        entraUser(admin.username, {
          active: false,
          emails: [{ value: `not.the.admin.${RUN}@example.com`, type: 'work', primary: true }],
        }),
      );
      expectStatus(taken, 409);
      expect(await wordpress.usersByUsername(admin.username)).toHaveLength(1);
      expect(await wordpress.me()).toMatchObject({ id: admin.id, roles: ['administrator'] });
    });
  });

  describe('listing', () => {
    it('lists every user but the administrator, and counts only them', async () => {
      const names = [`paged.one.${RUN}@contoso.com`, `paged.two.${RUN}@contoso.com`];
      for (const name of names) {
        expectStatus(await scim().request('POST', '/Users', entraUser(name)), 201);
        made.add((await wordpress.userByUsername(name)).id);
      }
      const total = await wordpress.userCount();
      const page = await scim().request('GET', '/Users?startIndex=1&count=100');
      expectStatus(page, 200);
      const listed = resourcesOf(page).map((u) => u.userName);
      expect(listed).toEqual(expect.arrayContaining(names));
      expect(listed).not.toContain((await wordpress.me()).username);
      // WordPress counts the administrator; the adapter pages and counts only what SCIM may see.
      expect(page.body).toMatchObject({ totalResults: total - 1, itemsPerPage: total - 1 });
    });
  });

  describe('scim-sidecar check', () => {
    it('runs its cycle against WordPress and finds every write read back as written', async () => {
      const config = loadConfig(CONFIG, {
        ...appEnv(instance),
        SCIM_TOKEN_HASH: 'sha256:0000000000000000000000000000000000000000000000000000000000000000',
        SCIM_SIDECAR_DATA_DIR: join(workDir ?? tmpdir(), 'check'),
      });
      let output = '';
      const result = await runCheck(config, loadMapping(config.mapping), {
        write: (text) => {
          output += text;
        },
      });
      expect(result.ok, output).toBe(true);
      expect(result.steps.map((s) => s.outcome)).toEqual([
        'as written',
        'as written',
        'as written',
        'skipped',
        'skipped',
        'skipped',
        'as written',
      ]);
    });
  });
});
