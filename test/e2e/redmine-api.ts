import type { RedmineInstance } from './redmine-server.js';

/** A Redmine user as GET /users/:id.json?include=groups returns it to an admin. */
export interface RedmineUser {
  id: number;
  login: string;
  firstname: string;
  lastname: string;
  mail: string;
  /** 1 active, 2 registered, 3 locked. */
  status: number;
  custom_fields?: Array<{ id: number; name: string; value: string | null }>;
  groups?: Array<{ id: number; name: string }>;
}

/** A Redmine group as GET /groups/:id.json?include=users returns it. */
export interface RedmineGroup {
  id: number;
  name: string;
  users?: Array<{ id: number; name: string }>;
}

/**
 * Reads Redmine through its own REST API, with the admin's key: the suite checks what Redmine
 * actually stored, never what the adapter says it stored.
 */
export class RedmineApi {
  constructor(private readonly redmine: RedmineInstance) {}

  async get(path: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${this.redmine.url}${path}`, {
      headers: { 'X-Redmine-API-Key': this.redmine.apiKey, Accept: 'application/json' },
    });
    const text = await response.text();
    // 404s come with an empty body.
    return { status: response.status, body: text.trim() === '' ? undefined : (JSON.parse(text) as unknown) };
  }

  /** The user with its groups, or undefined when Redmine answers 404. */
  async user(id: number): Promise<RedmineUser | undefined> {
    const { status, body } = await this.get(`/users/${id}.json?include=groups`);
    if (status === 404) return undefined;
    if (status !== 200) throw new Error(`GET /users/${id}.json answered ${status}`);
    return (body as { user: RedmineUser }).user;
  }

  /** The group with its members, or undefined when Redmine answers 404. */
  async group(id: number): Promise<RedmineGroup | undefined> {
    const { status, body } = await this.get(`/groups/${id}.json?include=users`);
    if (status === 404) return undefined;
    if (status !== 200) throw new Error(`GET /groups/${id}.json answered ${status}`);
    return (body as { group: RedmineGroup }).group;
  }

  /** Every user whose login equals `login` ignoring case, whatever its status. */
  async usersByLogin(login: string): Promise<RedmineUser[]> {
    const { status, body } = await this.get(
      `/users.json?status=&limit=100&name=${encodeURIComponent(login)}`,
    );
    if (status !== 200) throw new Error(`GET /users.json answered ${status}`);
    const users = (body as { users: RedmineUser[] }).users;
    return users.filter((u) => u.login.toLowerCase() === login.toLowerCase());
  }

  /** The one user with this login (read again with its status and groups). */
  async userByLogin(login: string): Promise<RedmineUser> {
    const [found, ...more] = await this.usersByLogin(login);
    if (!found || more.length > 0) throw new Error(`expected one Redmine user ${login}`);
    const user = await this.user(found.id);
    if (!user) throw new Error(`Redmine user ${found.id} vanished`);
    return user;
  }

  async groupsByName(name: string): Promise<RedmineGroup[]> {
    const { status, body } = await this.get('/groups.json');
    if (status !== 200) throw new Error(`GET /groups.json answered ${status}`);
    return (body as { groups: RedmineGroup[] }).groups.filter((g) => g.name === name);
  }

  /** How many users Redmine holds, in every status. */
  async userCount(): Promise<number> {
    const { body } = await this.get('/users.json?status=&limit=1');
    return (body as { total_count: number }).total_count;
  }
}

/** A custom field's value; Redmine answers "" or null for one never set. */
export function customField(user: RedmineUser, id: number): string | null | undefined {
  return user.custom_fields?.find((field) => field.id === id)?.value;
}
