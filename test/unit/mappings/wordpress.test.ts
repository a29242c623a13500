/**
 * mappings/wordpress.yaml without a WordPress: the expressions on records shaped like WordPress
 * 6.1's answers (../shared/legacy-apps/wordpress/API.md), the requests they render and the error
 * rules. test/e2e/wordpress.test.ts runs them against a real WordPress.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderRequest } from '../../../src/connector/render-request.js';
import { translateUpstreamError } from '../../../src/connector/translate-error.js';
import { loadMapping } from '../../../src/mapping/load-mapping.js';
import type { CompiledOperation, CompiledResourceMapping } from '../../../src/mapping/mapping-types.js';

const mapping = loadMapping(fileURLToPath(new URL('../../../mappings/wordpress.yaml', import.meta.url)));

function userMapping(): CompiledResourceMapping {
  const found = mapping.resources.User;
  if (!found) throw new Error('wordpress.yaml maps no User');
  return found;
}
const user = userMapping();

function operation(name: keyof CompiledResourceMapping['operations']): CompiledOperation {
  const found = user.operations[name];
  if (!found) throw new Error(`wordpress.yaml declares no ${name}`);
  return found;
}

/** GET /wp/v2/users/2?context=edit&_fields=… as an administrator sees it. */
const wordpressUser = {
  id: 2,
  username: 'jdoe@contoso.com',
  name: 'John Doe &amp; Sons',
  first_name: 'John',
  last_name: 'Doe',
  email: 'john.doe@contoso.com',
  nickname: 'jdoe@contoso.com',
  roles: ['subscriber'],
  registered_date: '2026-12-02T06:13:33+00:00',
};

const query = (request: { query: Array<[string, string]> }) => Object.fromEntries(request.query);

describe('mappings/wordpress.yaml: reading users', () => {
  it('reads a WordPress user into SCIM, turning &amp; back into &', async () => {
    expect(await user.toScim.evaluate(wordpressUser)).toEqual({
      userName: 'jdoe@contoso.com',
      name: { givenName: 'John', familyName: 'Doe' },
      displayName: 'John Doe & Sons',
      nickName: 'jdoe@contoso.com',
      emails: [{ value: 'john.doe@contoso.com', type: 'work', primary: true }],
      active: true,
      meta: { created: '2026-12-02T06:13:33+00:00' },
    });
  });

  it('reads a user without any role as disabled', async () => {
    expect(await user.toScim.evaluate({ ...wordpressUser, roles: [] })).toMatchObject({ active: false });
    expect(await user.toScim.evaluate({ ...wordpressUser, roles: ['editor'] })).toMatchObject({
      active: true,
    });
  });

  it('protects administrators (the adapter works as one), and no one else', async () => {
    const protect = user.protect;
    expect(protect).toBeDefined();
    expect(await protect?.evaluate({ ...wordpressUser, roles: ['administrator'] })).toBe(true);
    expect(await protect?.evaluate({ ...wordpressUser, roles: ['editor', 'administrator'] })).toBe(true);
    expect(await protect?.evaluate({ ...wordpressUser, roles: ['editor'] })).toBe(false);
    expect(await protect?.evaluate({ ...wordpressUser, roles: [] })).toBe(false);
  });

  it('always sends context=edit, so a wrong application password is refused instead of read as anonymous', async () => {
    for (const name of ['create', 'get', 'list', 'update', 'activate', 'deactivate'] as const) {
      expect(
        query(await renderRequest(operation(name), { appId: '2', app: {}, page: 1, limit: 100 })),
      ).toMatchObject({ context: 'edit' });
    }
    expect(mapping.health && query(await renderRequest(mapping.health, {}))).toMatchObject({
      context: 'edit',
    });
  });

  it('pages by page number, 100 at a time in id order, with the total from X-WP-Total', async () => {
    const list = operation('list');
    expect(list.paging).toEqual({ mode: 'page' });
    expect(list.pageSize).toBe(100);
    expect(query(await renderRequest(list, { offset: 200, limit: 100, page: 3 }))).toMatchObject({
      per_page: '100',
      page: '3',
      orderby: 'id',
      order: 'asc',
    });
    expect(await list.total?.evaluate([], { headers: { 'x-wp-total': '5' } })).toBe('5');
  });

  it('searches a username with an @ by the part before it (an @ makes WordPress search e-mails only)', async () => {
    const search = async (value: string) => {
      const request = await renderRequest(
        operation('list'),
        { value, page: 1, limit: 100 },
        user.filters.get('username')?.query,
      );
      return query(request).search;
    };
    expect(await search('jdoe@contoso.com')).toBe('jdoe');
    expect(await search('jdoe')).toBe('jdoe');
    const byMail = await renderRequest(
      operation('list'),
      { value: 'john.doe@contoso.com', page: 1, limit: 100 },
      user.filters.get('emails.value')?.query,
    );
    expect(query(byMail).search).toBe('john.doe@contoso.com');
  });
});

describe('mappings/wordpress.yaml: writing users', () => {
  it('writes names, display name and e-mail; the userName stands in for a missing e-mail', async () => {
    expect(
      await user.fromScim.evaluate({
        userName: 'jdoe@contoso.com',
        displayName: 'Johnny',
        name: { givenName: 'John', familyName: 'Doe' },
        emails: [
          { value: 'home@example.com', type: 'home' },
          { value: 'john.doe@contoso.com', type: 'work', primary: true },
        ],
        active: false,
      }),
    ).toEqual({
      username: 'jdoe@contoso.com',
      email: 'john.doe@contoso.com',
      first_name: 'John',
      last_name: 'Doe',
      name: 'Johnny',
    });
    expect(await user.fromScim.evaluate({ userName: 'ada@contoso.com', name: { givenName: 'Ada' } })).toEqual(
      {
        username: 'ada@contoso.com',
        email: 'ada@contoso.com',
        first_name: 'Ada',
        last_name: '',
        name: 'Ada',
      },
    );
  });

  it('refuses with 400 what would make WordPress crash: e-mails over 100, display names over 250', async () => {
    const longMail = `${'m'.repeat(95)}@contoso.com`;
    await expect(
      user.fromScim.evaluate({ userName: 'x', emails: [{ value: longMail, primary: true }] }),
    ).rejects.toMatchObject({
      status: 400,
      scimType: 'invalidValue',
      message: expect.stringContaining('100'),
    });
    await expect(
      user.fromScim.evaluate({ userName: 'x@contoso.com', displayName: 'd'.repeat(251) }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringContaining('250') });
  });

  it('creates with a random password nobody knows (WordPress requires one)', async () => {
    const app = { username: 'jdoe@contoso.com', email: 'jdoe@contoso.com' };
    const first = await renderRequest(operation('create'), { app });
    const second = await renderRequest(operation('create'), { app });
    const password = (request: { body: unknown }) => (request.body as { password: string }).password;
    expect(first).toMatchObject({ method: 'POST', path: '/wp-json/wp/v2/users', body: app });
    expect(password(first)).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(password(second)).not.toBe(password(first));
  });

  it('updates with the username as WordPress spells it, unless it is a real rename', async () => {
    const current = { ...wordpressUser, username: 'JDoe@Contoso.com' };
    const body = async (username: string) =>
      (await renderRequest(operation('update'), { appId: '2', app: { username, first_name: 'J' }, current }))
        .body;
    expect(await body('jdoe@contoso.com')).toEqual({ username: 'JDoe@Contoso.com', first_name: 'J' });
    expect(await body('other@contoso.com')).toEqual({ username: 'other@contoso.com', first_name: 'J' });
  });

  it('disables by removing every role and setting a new random password, then revoking application passwords; enables as subscriber', async () => {
    expect(operation('update').omits).toEqual(new Set(['active']));
    expect(operation('create').omits).toEqual(new Set(['active']));
    const off = await renderRequest(operation('deactivate'), { appId: '2' });
    expect(off).toMatchObject({ method: 'POST', path: '/wp-json/wp/v2/users/2', body: { roles: [] } });
    expect((off.body as { password: string }).password).toMatch(/^[A-Za-z0-9]{24}$/);
    const [revoke, ...more] = operation('deactivate').followUps;
    expect(more).toEqual([]);
    expect(revoke).toMatchObject({ retry: true });
    if (!revoke) throw new Error('deactivate has no follow-up');
    expect(await renderRequest(revoke, { appId: '2' })).toMatchObject({
      method: 'DELETE',
      path: '/wp-json/wp/v2/users/2/application-passwords',
      query: [],
      body: undefined,
    });
    expect(await renderRequest(operation('activate'), { appId: '2' })).toMatchObject({
      method: 'POST',
      path: '/wp-json/wp/v2/users/2',
      body: { roles: ['subscriber'] },
    });
  });

  it("deletes for good, giving the posts to the adapter's own account, looked up once", async () => {
    const owner = mapping.lookups.get('owner');
    expect(owner?.operation).toMatchObject({ method: 'GET', path: '/wp-json/wp/v2/users/me' });
    if (!owner) throw new Error('wordpress.yaml has no owner lookup');
    expect(query(await renderRequest(owner.operation, {}))).toEqual({ context: 'edit', _fields: 'id' });
    expect(await owner.value.evaluate({ id: 1 })).toBe(1);

    expect(operation('delete').lookups).toEqual(['owner']);
    const request = await renderRequest(operation('delete'), { appId: '2' }, [], undefined, {
      lookups: { owner: 5 },
    });
    expect(request).toMatchObject({ method: 'DELETE', path: '/wp-json/wp/v2/users/2' });
    expect(query(request)).toMatchObject({ force: 'true', reassign: '5' });
  });
});

describe('mappings/wordpress.yaml: errors', () => {
  const translate = (status: number, body: unknown, operationName = 'User.create') =>
    translateUpstreamError({ status, headers: {}, body, unparsable: false }, mapping.errors, operationName);

  it('turns the 500 of a taken username or e-mail address into 409 uniqueness', async () => {
    expect(
      await translate(500, {
        code: 'existing_user_login',
        message: 'Sorry, that username already exists!',
        data: null,
      }),
    ).toMatchObject({
      status: 409,
      scimType: 'uniqueness',
      message: 'WordPress refused the user: Sorry, that username already exists!',
    });
    expect(
      await translate(500, {
        code: 'existing_user_email',
        message: 'Sorry, that email address is already used!',
        data: null,
      }),
    ).toMatchObject({ status: 409, scimType: 'uniqueness' });
  });

  it('turns a username over 60 characters into 400, and a taken e-mail on update into 409', async () => {
    expect(
      await translate(500, {
        code: 'user_login_too_long',
        message: 'Username may not be longer than 60 characters.',
        data: null,
      }),
    ).toMatchObject({ status: 400, scimType: 'invalidValue' });
    expect(
      await translate(
        400,
        { code: 'rest_user_invalid_email', message: 'Invalid email address.', data: { status: 400 } },
        'User.update',
      ),
    ).toMatchObject({ status: 409, scimType: 'uniqueness' });
  });

  it('answers a rename with 400 mutability', async () => {
    expect(
      await translate(
        400,
        { code: 'rest_user_invalid_argument', message: 'Username is not editable.', data: { status: 400 } },
        'User.update',
      ),
    ).toMatchObject({
      status: 400,
      scimType: 'mutability',
      message: 'WordPress cannot rename a user: Username is not editable.',
    });
  });

  it('names the fields WordPress refused, from its params', async () => {
    expect(
      await translate(400, {
        code: 'rest_invalid_param',
        message: 'Invalid parameter(s): username',
        data: {
          status: 400,
          params: { username: 'This username is invalid because it uses illegal characters.' },
        },
      }),
    ).toMatchObject({
      status: 400,
      scimType: 'invalidValue',
      message:
        'Invalid parameter(s): username: username: This username is invalid because it uses illegal characters.',
    });
    expect(
      await translate(400, {
        code: 'rest_missing_callback_param',
        message: 'Missing parameter(s): email',
        data: { status: 400, params: ['email'] },
      }),
    ).toMatchObject({ message: 'Missing parameter(s): email: email' });
  });

  it('says which mapping setting to fix when the user to give posts to does not exist', async () => {
    expect(
      await translate(
        400,
        {
          code: 'rest_user_invalid_reassign',
          message: 'Invalid user ID for reassignment.',
          data: { status: 400 },
        },
        'User.delete',
      ),
    ).toMatchObject({
      status: 502,
      message: expect.stringMatching(/operations\.delete\.query\.reassign.*lookups\.owner.*Invalid user ID/),
    });
  });

  it('answers a PHP crash with 502, without its HTML', async () => {
    const error = await translate(500, {
      code: 'internal_server_error',
      message: '<p>There has been a critical error on this website.</p>',
      data: { status: 500 },
    });
    expect(error).toMatchObject({
      status: 502,
      message: 'WordPress failed with a PHP error (HTTP 500): its server log says why',
    });
  });
});
