/**
 * A 2xx to the IdP promises that the app holds the change. These tests hold the adapter to it in
 * front of the demo app: /Schemas advertises exactly what survives a write and a read through
 * mappings/demo.yaml, and a write carrying anything else is reported (default) or refused
 * (`server.strictAttributes`), never silently acknowledged.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SecureSidecar, startSecureSidecar } from '../helpers/security.js';
import {
  ENTERPRISE_SCHEMA,
  entraUser,
  GROUP_SCHEMA,
  patchOp,
  type ScimResource,
  send,
  USER_SCHEMA,
} from '../helpers/sidecar.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
interface AttributeView {
  name: string;
  subAttributes?: Array<{ name: string }>;
}
interface SchemaView {
  id: string;
  attributes: AttributeView[];
}

function client(sc: SecureSidecar) {
  return (method: Method, path: string, body?: unknown) =>
    send(sc.app, method, `/scim/v2${path}`, body === undefined ? {} : { body });
}

/** The warning lines that name dropped attributes. */
function droppedWarnings(sc: SecureSidecar): Array<Record<string, unknown>> {
  return sc.logs.records().filter((r) => r.level === 40 && 'droppedAttributes' in r);
}

/** The attributes the first such warning names, sorted. */
function firstWarningNames(sc: SecureSidecar): string[] {
  const [first] = droppedWarnings(sc);
  return [...((first?.droppedAttributes as string[] | undefined) ?? [])].sort();
}

function lastAudit(sc: SecureSidecar): Record<string, unknown> {
  const records = sc.audit.records();
  return records[records.length - 1] as Record<string, unknown>;
}

/** What Microsoft Entra's default attribute mappings send on create, for the demo app. */
function entraDefaultUser(userName: string): Record<string, unknown> {
  return entraUser(userName, {
    title: 'Engineer',
    phoneNumbers: [
      { type: 'work', value: '+1 555 0100' },
      { type: 'mobile', value: '+1 555 0101' },
    ],
    addresses: [{ type: 'work', streetAddress: '1 Main St', locality: 'Springfield', country: 'US' }],
    [ENTERPRISE_SCHEMA]: { department: 'R&D' },
  });
}

describe('/Schemas advertises what round-trips through mappings/demo.yaml', () => {
  let sc: SecureSidecar;
  let schemas: Map<string, SchemaView>;
  beforeAll(async () => {
    sc = await startSecureSidecar();
    const res = await client(sc)('GET', '/Schemas');
    expect(res.status).toBe(200);
    const body = res.json as { Resources: SchemaView[] };
    schemas = new Map(body.Resources.map((s) => [s.id, s]));
  });
  afterAll(async () => {
    await sc.close();
  });

  const attribute = (schema: string, name: string) =>
    schemas.get(schema)?.attributes.find((a) => a.name === name);
  const subNames = (schema: string, name: string) =>
    attribute(schema, name)
      ?.subAttributes?.map((s) => s.name)
      .sort();

  it('name: only the sub-attributes toScim produces or the id map preserves', () => {
    expect(subNames(USER_SCHEMA, 'name')).toEqual(['familyName', 'formatted', 'givenName']);
  });

  it('leaves out what nothing stores (nickName, preferredLanguage, middleName, honorifics)', () => {
    for (const name of ['nickName', 'preferredLanguage', 'locale', 'timezone', 'ims', 'photos'])
      expect(attribute(USER_SCHEMA, name), name).toBeUndefined();
  });

  it('a multi-valued attribute toScim builds element by element: just those sub-attributes', () => {
    expect(subNames(USER_SCHEMA, 'phoneNumbers')).toEqual(['type', 'value']);
  });

  it('a preserved complex or multi-valued attribute: whole, with all its sub-attributes', () => {
    expect(subNames(USER_SCHEMA, 'emails')).toEqual(['display', 'primary', 'type', 'value']);
    expect(subNames(USER_SCHEMA, 'addresses')).toContain('streetAddress');
  });

  it('the enterprise extension: the attributes toScim produces under its URN', () => {
    expect(schemas.get(ENTERPRISE_SCHEMA)?.attributes.map((a) => a.name)).toEqual(['department']);
  });

  it('Group members: the value toScim produces, and the display and type the adapter keeps', () => {
    expect(subNames(GROUP_SCHEMA, 'members')).toEqual(['display', 'type', 'value']);
  });
});

describe('a write carrying attributes the mapping cannot store (default: accepted and reported)', () => {
  let sc: SecureSidecar;
  let scim: ReturnType<typeof client>;
  beforeAll(async () => {
    sc = await startSecureSidecar({ logLevel: 'warn' });
    scim = client(sc);
  });
  afterAll(async () => {
    await sc.close();
  });
  beforeEach(() => {
    sc.logs.clear();
    sc.audit.clear();
  });

  it('POST: 201, one warning naming the resource type and the attributes (never their values), and the audit line lists them', async () => {
    const body = entraUser('dropped.post@contoso.com', {
      nickName: 'Quincy-Nick',
      name: { givenName: 'Given', familyName: 'post', middleName: 'Quentin-Middle' },
    });
    const res = await scim('POST', '/Users', body);
    expect(res.status, res.text).toBe(201);
    expect(res.resource().nickName).toBeUndefined();

    const warnings = droppedWarnings(sc);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ resourceType: 'User' });
    expect(firstWarningNames(sc)).toEqual(['name.middleName', 'nickName']);
    const logged = sc.logs.lines.join('\n');
    expect(logged).not.toContain('Quincy-Nick');
    expect(logged).not.toContain('Quentin-Middle');
    expect((lastAudit(sc).droppedAttributes as string[]).sort()).toEqual(['name.middleName', 'nickName']);
  });

  it('the same attributes dropped again: no second warning, but every audit line lists them', async () => {
    const withExtras = (userName: string) =>
      entraUser(userName, { nickName: 'Again', locale: 'de-CH', name: { givenName: 'A', familyName: 'B' } });
    for (const userName of ['dropped.again1@contoso.com', 'dropped.again2@contoso.com']) {
      const res = await scim('POST', '/Users', withExtras(userName));
      expect(res.status, res.text).toBe(201);
      expect((lastAudit(sc).droppedAttributes as string[]).sort()).toEqual(['locale', 'nickName']);
    }
    // Both POSTs drop the same names (this test's first is the first with exactly these).
    expect(droppedWarnings(sc)).toHaveLength(1);
    expect(firstWarningNames(sc)).toEqual(['locale', 'nickName']);

    // Another set of names is another warning.
    const other = await scim('POST', '/Users', entraUser('dropped.again3@contoso.com', { locale: 'fr-CH' }));
    expect(other.status, other.text).toBe(201);
    expect(droppedWarnings(sc).map((w) => w.droppedAttributes)).toEqual([['nickName', 'locale'], ['locale']]);
  });

  it("Entra's default attribute set on the demo mapping reports nothing", async () => {
    const res = await scim('POST', '/Users', entraDefaultUser('dropped.quiet@contoso.com'));
    expect(res.status, res.text).toBe(201);
    expect(droppedWarnings(sc)).toEqual([]);
    expect(lastAudit(sc)).not.toHaveProperty('droppedAttributes');
  });

  it('PATCH: only what the operations bring in counts, matched without regard to case', async () => {
    const created = await scim('POST', '/Users', entraDefaultUser('dropped.patch@contoso.com'));
    const id = created.resource().id;
    sc.logs.clear();

    const plain = await scim(
      'PATCH',
      `/Users/${id}`,
      patchOp({ op: 'Replace', path: 'name.givenName', value: 'Other' }),
    );
    expect(plain.status).toBe(204);
    expect(droppedWarnings(sc)).toEqual([]);

    const res = await scim(
      'PATCH',
      `/Users/${id}`,
      patchOp(
        { op: 'Add', path: 'NickName', value: 'Nicky' },
        {
          op: 'Replace',
          value: { 'name.honorificPrefix': 'Dr.', [`${ENTERPRISE_SCHEMA}:employeeNumber`]: '42' },
        },
      ),
    );
    expect(res.status).toBe(204);
    expect(firstWarningNames(sc)).toEqual([
      'name.honorificPrefix',
      'nickName',
      `${ENTERPRISE_SCHEMA}:employeeNumber`,
    ]);
    expect(lastAudit(sc)).toMatchObject({ operation: 'patch', status: 204 });
    expect((lastAudit(sc).droppedAttributes as string[]).length).toBe(3);
  });

  it('PUT: reported like a POST', async () => {
    const created = await scim('POST', '/Users', entraUser('dropped.put@contoso.com'));
    const resource = created.resource();
    sc.logs.clear();
    const res = await scim('PUT', `/Users/${resource.id}`, { ...resource, preferredLanguage: 'de-CH' });
    expect(res.status, res.text).toBe(200);
    expect(firstWarningNames(sc)).toEqual(['preferredLanguage']);
  });

  it('a Group with members as Entra and Microsoft send them reports nothing', async () => {
    const user = (await scim('POST', '/Users', entraUser('dropped.member@contoso.com'))).resource();
    sc.logs.clear();
    const res = await scim('POST', '/Groups', {
      schemas: [GROUP_SCHEMA],
      externalId: 'grp-dropped',
      displayName: 'Dropped nothing',
      members: [{ value: user.id, display: 'Member' }],
    });
    expect(res.status, res.text).toBe(201);
    expect(droppedWarnings(sc)).toEqual([]);
  });
});

describe('server.strictAttributes: true refuses such a write before calling the app', () => {
  let sc: SecureSidecar;
  let scim: ReturnType<typeof client>;
  let user: ScimResource;
  beforeAll(async () => {
    sc = await startSecureSidecar({ server: { strictAttributes: true } });
    scim = client(sc);
    const created = await scim('POST', '/Users', entraDefaultUser('strict.user@contoso.com'));
    expect(created.status, created.text).toBe(201);
    user = created.resource();
  });
  afterAll(async () => {
    await sc.close();
  });
  beforeEach(() => {
    sc.audit.clear();
  });

  function expectRefusedWithoutAppCalls(res: Awaited<ReturnType<typeof scim>>, names: string[]) {
    expect(res.status, res.text).toBe(400);
    expect(res.error()).toMatchObject({ scimType: 'invalidValue' });
    for (const name of names) expect(res.error().detail).toContain(name);
    expect(lastAudit(sc)).toMatchObject({ outcome: 'failure', status: 400, upstreamCalls: 0 });
  }

  it('POST: 400 invalidValue naming the attribute; nothing created', async () => {
    const res = await scim('POST', '/Users', entraUser('strict.nick@contoso.com', { nickName: 'Nick' }));
    expectRefusedWithoutAppCalls(res, ['nickName']);
    expect(sc.demo?.store.listAccounts({ login: 'strict.nick@contoso.com' }).items).toEqual([]);
  });

  it('PATCH: 400 before the current state is even read', async () => {
    const res = await scim(
      'PATCH',
      `/Users/${user.id}`,
      patchOp({ op: 'Add', path: 'name.middleName', value: 'Q' }, { op: 'Add', path: 'title', value: 'x' }),
    );
    expectRefusedWithoutAppCalls(res, ['name.middleName']);
    expect(res.error().detail).not.toContain('title');
  });

  it('PUT: 400, the user unchanged', async () => {
    const res = await scim('PUT', `/Users/${user.id}`, {
      ...user,
      title: 'Changed',
      preferredLanguage: 'fr',
    });
    expectRefusedWithoutAppCalls(res, ['preferredLanguage']);
    expect((await scim('GET', `/Users/${user.id}`)).resource().title).toBe('Engineer');
  });

  it("accepts Entra's default attribute set", async () => {
    const res = await scim('POST', '/Users', entraDefaultUser('strict.quiet@contoso.com'));
    expect(res.status, res.text).toBe(201);
  });
});

describe('PATCH values the operation cannot act on answer 400, never a 204 that changed nothing', () => {
  let sc: SecureSidecar;
  let scim: ReturnType<typeof client>;
  beforeAll(async () => {
    sc = await startSecureSidecar();
    scim = client(sc);
  });
  afterAll(async () => {
    await sc.close();
  });

  async function createUser(userName: string): Promise<ScimResource> {
    const created = await scim('POST', '/Users', entraUser(userName));
    expect(created.status, created.text).toBe(201);
    return created.resource();
  }

  it('remove of emails with an object value really removes that address, in the app too', async () => {
    const user = await createUser('remove.email@contoso.com');
    const res = await scim(
      'PATCH',
      `/Users/${user.id}`,
      patchOp({ op: 'remove', path: 'emails', value: { value: 'REMOVE.EMAIL@contoso.com' } }),
    );
    expect(res.status, res.text).toBe(204);
    expect((await scim('GET', `/Users/${user.id}`)).resource().emails).toBeUndefined();
    const [account] = sc.demo?.store.listAccounts({ login: 'remove.email@contoso.com' }).items ?? [];
    expect(account?.email).toBeNull();
  });

  it('remove of emails with a value naming no address is 400 invalidValue', async () => {
    const user = await createUser('remove.type@contoso.com');
    const res = await scim(
      'PATCH',
      `/Users/${user.id}`,
      patchOp({ op: 'remove', path: 'emails', value: { type: 'work' } }),
    );
    expect(res.status, res.text).toBe(400);
    expect(res.error()).toMatchObject({ scimType: 'invalidValue' });
    expect(res.error().detail).toContain('emails[type eq "work"]');
    expect((await scim('GET', `/Users/${user.id}`)).resource().emails).toEqual(user.emails);
  });

  it('a string where emails wants its elements is 400 invalidValue', async () => {
    const user = await createUser('replace.email@contoso.com');
    const res = await scim(
      'PATCH',
      `/Users/${user.id}`,
      patchOp({ op: 'replace', path: 'emails', value: 'other@contoso.com' }),
    );
    expect(res.status, res.text).toBe(400);
    expect(res.error()).toMatchObject({ scimType: 'invalidValue' });
  });

  it("Entra's removal of a member with a value still removes just that member", async () => {
    const alice = await createUser('member.alice@contoso.com');
    const bob = await createUser('member.bob@contoso.com');
    const group = await scim('POST', '/Groups', {
      schemas: [GROUP_SCHEMA],
      displayName: 'Members by value',
      members: [{ value: alice.id }, { value: bob.id }],
    });
    const id = group.resource().id;
    const res = await scim(
      'PATCH',
      `/Groups/${id}`,
      patchOp({ op: 'Remove', path: 'members', value: [{ value: alice.id }] }),
    );
    expect(res.status, res.text).toBe(204);
    const members = (await scim('GET', `/Groups/${id}`)).resource().members as Array<{ value: string }>;
    expect(members.map((m) => m.value)).toEqual([bob.id]);
  });
});
