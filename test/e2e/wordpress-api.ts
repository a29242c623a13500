import type { WordPressInstance } from './wordpress-server.js';

/** A WordPress user as `GET /wp/v2/users/<id>?context=edit` returns it to an administrator. */
export interface WordPressUser {
  id: number;
  username: string;
  name: string;
  first_name: string;
  last_name: string;
  email: string;
  nickname: string;
  roles: string[];
}

const USER_FIELDS = 'id,username,name,first_name,last_name,email,nickname,roles';

/**
 * Reads and changes WordPress through its own REST API with the administrator's application
 * password, and tries users' credentials the way they use them: the suite checks what WordPress
 * stored and whom it lets in, never what the adapter says.
 */
export class WordPressApi {
  constructor(private readonly wordpress: WordPressInstance) {}

  private get admin(): string {
    return basic(this.wordpress.user, this.wordpress.appPassword);
  }

  async call(
    method: string,
    path: string,
    body?: unknown,
    authorization: string = this.admin,
  ): Promise<{ status: number; body: unknown; headers: Headers }> {
    const response = await fetch(`${this.wordpress.url}/wp-json/wp/v2${path}`, {
      method,
      headers: {
        authorization,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // an HTML error page: kept as text
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }

  /** The user, or undefined when WordPress answers 404. */
  async user(id: number): Promise<WordPressUser | undefined> {
    const { status, body } = await this.call('GET', `/users/${id}?context=edit&_fields=${USER_FIELDS}`);
    if (status === 404) return undefined;
    if (status !== 200) throw new Error(`GET /users/${id} answered ${status}: ${JSON.stringify(body)}`);
    return body as WordPressUser;
  }

  /** Every user whose username equals `username` ignoring case (WordPress's own uniqueness rule). */
  async usersByUsername(username: string): Promise<WordPressUser[]> {
    const term = username.includes('@') ? username.split('@')[0] : username;
    const { status, body } = await this.call(
      'GET',
      `/users?context=edit&per_page=100&search=${encodeURIComponent(term ?? username)}&_fields=${USER_FIELDS}`,
    );
    if (status !== 200) throw new Error(`GET /users?search answered ${status}`);
    return (body as WordPressUser[]).filter((u) => u.username.toLowerCase() === username.toLowerCase());
  }

  async userByUsername(username: string): Promise<WordPressUser> {
    const [found, ...more] = await this.usersByUsername(username);
    if (!found || more.length > 0) throw new Error(`expected one WordPress user ${username}`);
    return found;
  }

  /** The administrator the adapter works as (`/users/me`). */
  async me(): Promise<WordPressUser> {
    const { status, body } = await this.call('GET', `/users/me?context=edit&_fields=${USER_FIELDS}`);
    if (status !== 200) throw new Error(`GET /users/me answered ${status}`);
    return body as WordPressUser;
  }

  /** How many users WordPress holds (X-WP-Total). */
  async userCount(): Promise<number> {
    const { headers } = await this.call('GET', '/users?context=edit&per_page=1&_fields=id');
    return Number(headers.get('x-wp-total'));
  }

  /** Creates a user directly in WordPress (as an admin would), returning its id. */
  async createUser(fields: Record<string, unknown>): Promise<number> {
    const { status, body } = await this.call('POST', '/users?context=edit&_fields=id', fields);
    if (status !== 201) throw new Error(`POST /users answered ${status}: ${JSON.stringify(body)}`);
    return (body as { id: number }).id;
  }

  async updateUser(id: number, fields: Record<string, unknown>): Promise<void> {
    const { status, body } = await this.call('POST', `/users/${id}?context=edit&_fields=id`, fields);
    if (status !== 200) throw new Error(`POST /users/${id} answered ${status}: ${JSON.stringify(body)}`);
  }

  /** Deletes a user directly (cleanup), giving its posts to the administrator. */
  async deleteUser(id: number): Promise<void> {
    const admin = await this.me();
    await this.call('DELETE', `/users/${id}?force=true&reassign=${admin.id}`);
  }

  /**
   * A new application password of the user (as its own Users → Profile page would make one);
   * WordPress wants each of a user's names unique.
   */
  async createApplicationPassword(id: number, name = 'e2e'): Promise<string> {
    const { status, body } = await this.call('POST', `/users/${id}/application-passwords`, { name });
    if (status !== 201)
      throw new Error(`POST application-passwords answered ${status}: ${JSON.stringify(body)}`);
    return (body as { password: string }).password;
  }

  /** The status of `GET /users/me` with the user's own application password: 200 when it lets them in. */
  async applicationPasswordWorks(username: string, password: string): Promise<number> {
    return (await this.call('GET', '/users/me?context=edit&_fields=id', undefined, basic(username, password)))
      .status;
  }

  /** A draft post by `author`, to see where a user's content goes when the user is deleted. */
  async createPost(author: number): Promise<number> {
    const { status, body } = await this.call('POST', '/posts?_fields=id', {
      title: 'Written by a provisioned user',
      status: 'draft',
      author,
    });
    if (status !== 201) throw new Error(`POST /posts answered ${status}: ${JSON.stringify(body)}`);
    return (body as { id: number }).id;
  }

  async postAuthor(post: number): Promise<number | undefined> {
    const { status, body } = await this.call('GET', `/posts/${post}?context=edit&_fields=author`);
    return status === 200 ? (body as { author: number }).author : undefined;
  }

  /**
   * Signs in through wp-login.php as a browser does. Returns the session cookies when WordPress
   * let the user in (302 to the dashboard), undefined when it showed the login form again.
   */
  async logIn(username: string, password: string): Promise<string | undefined> {
    const response = await fetch(`${this.wordpress.url}/wp-login.php`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: 'wordpress_test_cookie=WP%20Cookie%20check',
      },
      body: new URLSearchParams({ log: username, pwd: password, testcookie: '1' }).toString(),
    });
    await response.arrayBuffer();
    if (response.status !== 302) return undefined;
    const cookies = response.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .filter((c) => c?.startsWith('wordpress_logged_in_') || c?.startsWith('wordpress_'));
    return cookies.join('; ');
  }

  /**
   * Whether a browser session (the cookies of {@link logIn}) is still signed in: WordPress's
   * profile page answers it (200, or 403 to a user without a role) and sends anyone else to
   * wp-login.php (302).
   */
  async sessionSignedIn(cookies: string): Promise<boolean> {
    const response = await fetch(`${this.wordpress.url}/wp-admin/profile.php`, {
      redirect: 'manual',
      headers: { cookie: cookies },
    });
    await response.arrayBuffer();
    return response.status !== 302;
  }
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
