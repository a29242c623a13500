/**
 * The data rules of the bundled demo app ("Acme Directory"): accounts, teams, validation and
 * uniqueness. Deliberately free of HTTP so tests and the demo launcher can seed and inspect it.
 *
 * The shapes (snake_case, numeric ids, a wrapper object per record, teams that list members only
 * when fetched one by one) imitate a typical legacy REST app, not SCIM: the mapping has to earn it.
 */

/** An account (the app's notion of a user) as the API returns it. */
export interface Account {
  id: number;
  login: string;
  first_name: string;
  last_name: string;
  email: string | null;
  phone: string | null;
  department: string | null;
  title: string | null;
  enabled: boolean;
  /** ISO 8601. */
  created_at: string;
  /** ISO 8601; strictly increases on every change. */
  updated_at: string;
}

/**
 * The writable fields of an account, as accepted by {@link DemoStore.createAccount} and
 * {@link DemoStore.replaceAccount}. Omitted optional fields become null; `enabled` defaults to true.
 */
export interface AccountInput {
  login: string;
  first_name: string;
  last_name: string;
  email?: string | null;
  phone?: string | null;
  department?: string | null;
  title?: string | null;
  enabled?: boolean;
}

/** A team (the app's notion of a group) with its members. */
export interface Team {
  id: number;
  name: string;
  /** Account ids, in the order they joined. */
  member_ids: number[];
}

/** A team as listed: without members, like many legacy list endpoints. */
export interface TeamSummary {
  id: number;
  name: string;
  member_count: number;
}

/** The writable fields of a team. Omitted `member_ids` means no members. */
export interface TeamInput {
  name: string;
  member_ids?: number[];
}

/** Filters for {@link DemoStore.listAccounts}; all optional, combined with AND. */
export interface AccountQuery {
  /** Exact, case-insensitive. */
  login?: string;
  /** Exact, case-insensitive. */
  email?: string;
  /** Case-insensitive substring of login, email, first_name or last_name. */
  q?: string;
  enabled?: boolean;
  offset?: number;
  limit?: number;
}

/** Filters for {@link DemoStore.listTeams}. */
export interface TeamQuery {
  /** Exact, case-insensitive. */
  name?: string;
  offset?: number;
  limit?: number;
}

/** One page of a list; `total` counts every match, not just this page. */
export interface Page<T> {
  items: T[];
  total: number;
  offset: number;
  limit: number;
}

/** Page size when the caller gives none. */
export const DEFAULT_PAGE_SIZE = 50;
/** Larger page sizes are silently lowered to this, as many legacy APIs do. */
export const MAX_PAGE_SIZE = 200;
/** The first id handed out; ids look like a legacy database sequence, not array indexes. */
export const FIRST_ID = 1001;
/** Longest login accepted. */
export const MAX_LOGIN_LENGTH = 64;

const LOGIN_PATTERN = /^[A-Za-z0-9._@-]+$/;

/** The fields of an account a client may write. */
const WRITABLE_FIELDS = new Set([
  'login',
  'first_name',
  'last_name',
  'email',
  'phone',
  'department',
  'title',
  'enabled',
]);

/** Why a store operation was refused; the HTTP layer maps it to 400, 409 or 404. */
export type DemoStoreErrorCode = 'validation_failed' | 'conflict' | 'not_found';

/** A refused store operation. `fields` is set for `validation_failed`: field name → problem. */
export class DemoStoreError extends Error {
  readonly code: DemoStoreErrorCode;
  readonly fields: Record<string, string> | undefined;

  constructor(code: DemoStoreErrorCode, message: string, fields?: Record<string, string>) {
    super(message);
    this.name = 'DemoStoreError';
    this.code = code;
    this.fields = fields;
  }
}

/** Options for {@link DemoStore}. */
export interface DemoStoreOptions {
  /** Clock for created_at/updated_at; injectable so tests can pin time. */
  now?: () => Date;
}

interface TeamRecord {
  id: number;
  name: string;
  members: Set<number>;
}

type AccountFields = Omit<Account, 'id' | 'created_at' | 'updated_at'>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validationFailed(fields: Record<string, string>): DemoStoreError {
  return new DemoStoreError('validation_failed', 'validation failed', fields);
}

function requiredString(raw: Record<string, unknown>, name: string, errors: Record<string, string>): string {
  const value = raw[name];
  if (value === undefined || value === null) {
    errors[name] = 'is required';
    return '';
  }
  if (typeof value !== 'string') {
    errors[name] = 'must be a string';
    return '';
  }
  if (value.trim() === '') {
    errors[name] = 'is required';
    return '';
  }
  return value;
}

function optionalString(
  raw: Record<string, unknown>,
  name: string,
  errors: Record<string, string>,
): string | null {
  const value = raw[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    errors[name] = 'must be a string';
    return null;
  }
  return value;
}

function parseAccountFields(input: unknown): AccountFields {
  if (!isRecord(input)) throw validationFailed({ account: 'is required' });
  const errors: Record<string, string> = {};

  const login = requiredString(input, 'login', errors);
  if (errors.login === undefined) {
    if (login.length > MAX_LOGIN_LENGTH) {
      errors.login = `must be at most ${MAX_LOGIN_LENGTH} characters`;
    } else if (!LOGIN_PATTERN.test(login)) {
      errors.login = 'may only contain letters, digits, ".", "_", "@" and "-"';
    }
  }
  const first_name = requiredString(input, 'first_name', errors);
  const last_name = requiredString(input, 'last_name', errors);
  const email = optionalString(input, 'email', errors);
  const phone = optionalString(input, 'phone', errors);
  const department = optionalString(input, 'department', errors);
  const title = optionalString(input, 'title', errors);

  let enabled = true;
  if (input.enabled !== undefined && input.enabled !== null) {
    if (typeof input.enabled === 'boolean') enabled = input.enabled;
    else errors.enabled = 'must be a boolean';
  }

  if (Object.keys(errors).length > 0) throw validationFailed(errors);
  return { login, first_name, last_name, email, phone, department, title, enabled };
}

function isAccountId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function page<T>(matches: T[], offset: number | undefined, limit: number | undefined): Page<T> {
  const start = Math.max(0, Math.trunc(offset ?? 0));
  const size = Math.min(MAX_PAGE_SIZE, Math.max(0, Math.trunc(limit ?? DEFAULT_PAGE_SIZE)));
  return { items: matches.slice(start, start + size), total: matches.length, offset: start, limit: size };
}

/**
 * In-memory accounts and teams. Accounts and teams draw ids from one sequence starting at
 * {@link FIRST_ID}; ids are never reused. Every method returns copies, so callers cannot change
 * the store behind its rules.
 */
export class DemoStore {
  // Map iteration follows insertion order and ids only grow, so iterating yields id order.
  private readonly accounts = new Map<number, Account>();
  private readonly teams = new Map<number, TeamRecord>();
  // Lowercased key → id(s); keeps uniqueness checks and exact-match lookups O(1) for benchmarks.
  private readonly loginIndex = new Map<string, number>();
  /** E-mail is not unique here: people share mailboxes, as in many directories. */
  private readonly emailIndex = new Map<string, Set<number>>();
  private readonly teamNameIndex = new Map<string, number>();
  private nextId = FIRST_ID;
  private readonly now: () => Date;

  constructor(options: DemoStoreOptions = {}) {
    this.now = options.now ?? (() => new Date());
  }

  /** Accounts matching every given filter, sorted by id, paged. */
  listAccounts(query: AccountQuery = {}): Page<Account> {
    let candidates: Iterable<Account>;
    if (query.login !== undefined) {
      candidates = this.lookup(this.loginIndex, query.login);
    } else if (query.email !== undefined) {
      const ids = this.emailIndex.get(query.email.toLowerCase()) ?? new Set<number>();
      candidates = [...ids].sort((a, b) => a - b).flatMap((id) => this.accounts.get(id) ?? []);
    } else {
      candidates = this.accounts.values();
    }
    const login = query.login?.toLowerCase();
    const email = query.email?.toLowerCase();
    const q = query.q?.toLowerCase();
    const matches: Account[] = [];
    for (const account of candidates) {
      if (login !== undefined && account.login.toLowerCase() !== login) continue;
      if (email !== undefined && account.email?.toLowerCase() !== email) continue;
      if (query.enabled !== undefined && account.enabled !== query.enabled) continue;
      if (q !== undefined && !this.matchesText(account, q)) continue;
      matches.push(account);
    }
    const result = page(matches, query.offset, query.limit);
    return { ...result, items: result.items.map((a) => ({ ...a })) };
  }

  /** The account, or undefined when there is none with this id. */
  getAccount(id: number): Account | undefined {
    const account = this.accounts.get(id);
    return account ? { ...account } : undefined;
  }

  /**
   * Validates untrusted input (see {@link AccountInput}) and creates the account.
   * @throws DemoStoreError `validation_failed`, or `conflict` on a duplicate login.
   */
  createAccount(input: unknown): Account {
    const fields = parseAccountFields(input);
    this.assertAccountUnique(fields, undefined);
    const timestamp = this.now().toISOString();
    const account: Account = { id: this.nextId++, ...fields, created_at: timestamp, updated_at: timestamp };
    this.accounts.set(account.id, account);
    this.indexAccount(account);
    return { ...account };
  }

  /**
   * Replaces every writable field: omitted optional fields become null, omitted `enabled` becomes true.
   * @throws DemoStoreError `not_found`, `validation_failed` or `conflict`.
   */
  replaceAccount(id: number, input: unknown): Account {
    const existing = this.requireAccount(id);
    const fields = parseAccountFields(input);
    this.assertAccountUnique(fields, id);
    this.unindexAccount(existing);
    Object.assign(existing, fields, { updated_at: this.bump(existing.updated_at) });
    this.indexAccount(existing);
    return { ...existing };
  }

  /**
   * A lenient partial update, as some legacy APIs make: each given field that is valid on its own
   * is applied, the others are refused and left as they were. Unknown fields are ignored.
   * @returns the account as it now is, and the refused fields (field name → problem).
   * @throws DemoStoreError `not_found`, or `validation_failed` when the input is not an object.
   */
  updateAccountFields(id: number, input: unknown): { account: Account; refused: Record<string, string> } {
    const existing = this.requireAccount(id);
    if (!isRecord(input)) throw validationFailed({ account: 'is required' });
    const refused: Record<string, string> = {};
    for (const [name, value] of Object.entries(input)) {
      if (!WRITABLE_FIELDS.has(name)) continue;
      const { id: _id, created_at: _c, updated_at: _u, ...current } = existing;
      try {
        const fields = parseAccountFields({ ...current, [name]: value });
        this.assertAccountUnique(fields, id);
        this.unindexAccount(existing);
        Object.assign(existing, fields, { updated_at: this.bump(existing.updated_at) });
        this.indexAccount(existing);
      } catch (error) {
        if (!(error instanceof DemoStoreError)) throw error;
        refused[name] = error.fields?.[name] ?? error.message;
      }
    }
    return { account: { ...existing }, refused };
  }

  /**
   * Enables or disables the account; a no-op (no timestamp change) when it is already so.
   * @throws DemoStoreError `not_found`.
   */
  setAccountEnabled(id: number, enabled: boolean): Account {
    const account = this.requireAccount(id);
    if (account.enabled !== enabled) {
      account.enabled = enabled;
      account.updated_at = this.bump(account.updated_at);
    }
    return { ...account };
  }

  /**
   * Deletes the account and removes it from every team.
   * @throws DemoStoreError `not_found`.
   */
  deleteAccount(id: number): void {
    const account = this.requireAccount(id);
    this.unindexAccount(account);
    this.accounts.delete(id);
    for (const team of this.teams.values()) team.members.delete(id);
  }

  /** Teams matching the filter, sorted by id, paged; without member ids. */
  listTeams(query: TeamQuery = {}): Page<TeamSummary> {
    const candidates = query.name === undefined ? this.teams.values() : this.lookupTeam(query.name);
    const matches: TeamSummary[] = [];
    for (const team of candidates) {
      matches.push({ id: team.id, name: team.name, member_count: team.members.size });
    }
    return page(matches, query.offset, query.limit);
  }

  /** The team with its members, or undefined when there is none with this id. */
  getTeam(id: number): Team | undefined {
    const team = this.teams.get(id);
    return team ? toTeam(team) : undefined;
  }

  /**
   * Validates untrusted input (see {@link TeamInput}) and creates the team.
   * @throws DemoStoreError `validation_failed` (also for unknown member ids) or `conflict` on a duplicate name.
   */
  createTeam(input: unknown): Team {
    const { name, members } = this.parseTeamFields(input);
    this.assertTeamNameUnique(name, undefined);
    const team: TeamRecord = { id: this.nextId++, name, members };
    this.teams.set(team.id, team);
    this.teamNameIndex.set(name.toLowerCase(), team.id);
    return toTeam(team);
  }

  /**
   * Replaces the name and the whole member list.
   * @throws DemoStoreError `not_found`, `validation_failed` or `conflict`.
   */
  replaceTeam(id: number, input: unknown): Team {
    const team = this.requireTeam(id);
    const { name, members } = this.parseTeamFields(input);
    this.assertTeamNameUnique(name, id);
    this.teamNameIndex.delete(team.name.toLowerCase());
    team.name = name;
    team.members = members;
    this.teamNameIndex.set(name.toLowerCase(), id);
    return toTeam(team);
  }

  /**
   * Adds the account to the team; a no-op when it is already a member.
   * @throws DemoStoreError `not_found` for the team, `validation_failed` for an unknown account.
   */
  addTeamMember(teamId: number, accountId: number): void {
    const team = this.requireTeam(teamId);
    if (!this.accounts.has(accountId)) {
      throw validationFailed({ member_ids: `unknown account ${accountId}` });
    }
    team.members.add(accountId);
  }

  /**
   * Removes the account from the team; a no-op when it is not a member.
   * @throws DemoStoreError `not_found` for the team.
   */
  removeTeamMember(teamId: number, accountId: number): void {
    this.requireTeam(teamId).members.delete(accountId);
  }

  /**
   * The logins of the team's members, in the order they joined, paged: the member list of the
   * team's other API, which knows accounts by login.
   * @throws DemoStoreError `not_found` for the team.
   */
  teamLogins(teamId: number, offset?: number, limit?: number): Page<string> {
    const team = this.requireTeam(teamId);
    const logins = [...team.members].flatMap((id) => this.accounts.get(id)?.login ?? []);
    return page(logins, offset, limit);
  }

  /**
   * Adds the account with this login (any case) to the team; a no-op when it is already a member.
   * @throws DemoStoreError `not_found` for the team, `validation_failed` for an unknown login.
   */
  addTeamMemberByLogin(teamId: number, login: string): void {
    const team = this.requireTeam(teamId);
    const id = this.loginIndex.get(login.toLowerCase());
    if (id === undefined) throw validationFailed({ login: `unknown account ${login}` });
    team.members.add(id);
  }

  /**
   * Removes the account with this login (any case) from the team; a no-op when it is not a member.
   * @throws DemoStoreError `not_found` for the team.
   */
  removeTeamMemberByLogin(teamId: number, login: string): void {
    const team = this.requireTeam(teamId);
    const id = this.loginIndex.get(login.toLowerCase());
    if (id !== undefined) team.members.delete(id);
  }

  /**
   * Deletes the team; its accounts are untouched.
   * @throws DemoStoreError `not_found`.
   */
  deleteTeam(id: number): void {
    const team = this.requireTeam(id);
    this.teamNameIndex.delete(team.name.toLowerCase());
    this.teams.delete(id);
  }

  private *lookup(index: Map<string, number>, key: string): Iterable<Account> {
    const id = index.get(key.toLowerCase());
    const account = id === undefined ? undefined : this.accounts.get(id);
    if (account) yield account;
  }

  private *lookupTeam(name: string): Iterable<TeamRecord> {
    const id = this.teamNameIndex.get(name.toLowerCase());
    const team = id === undefined ? undefined : this.teams.get(id);
    if (team) yield team;
  }

  private matchesText(account: Account, needle: string): boolean {
    return [account.login, account.email, account.first_name, account.last_name].some(
      (value) => value?.toLowerCase().includes(needle) ?? false,
    );
  }

  private requireAccount(id: number): Account {
    const account = this.accounts.get(id);
    if (!account) throw new DemoStoreError('not_found', `account ${id} not found`);
    return account;
  }

  private requireTeam(id: number): TeamRecord {
    const team = this.teams.get(id);
    if (!team) throw new DemoStoreError('not_found', `team ${id} not found`);
    return team;
  }

  private assertAccountUnique(fields: AccountFields, self: number | undefined): void {
    const loginOwner = this.loginIndex.get(fields.login.toLowerCase());
    if (loginOwner !== undefined && loginOwner !== self) {
      throw new DemoStoreError('conflict', 'login already exists');
    }
  }

  private assertTeamNameUnique(name: string, self: number | undefined): void {
    const owner = this.teamNameIndex.get(name.toLowerCase());
    if (owner !== undefined && owner !== self) throw new DemoStoreError('conflict', 'name already exists');
  }

  private indexAccount(account: Account): void {
    this.loginIndex.set(account.login.toLowerCase(), account.id);
    if (account.email === null) return;
    const key = account.email.toLowerCase();
    const ids = this.emailIndex.get(key) ?? new Set<number>();
    ids.add(account.id);
    this.emailIndex.set(key, ids);
  }

  private unindexAccount(account: Account): void {
    this.loginIndex.delete(account.login.toLowerCase());
    if (account.email === null) return;
    const key = account.email.toLowerCase();
    const ids = this.emailIndex.get(key);
    ids?.delete(account.id);
    if (ids?.size === 0) this.emailIndex.delete(key);
  }

  private parseTeamFields(input: unknown): { name: string; members: Set<number> } {
    if (!isRecord(input)) throw validationFailed({ team: 'is required' });
    const errors: Record<string, string> = {};
    const name = requiredString(input, 'name', errors);
    const members = new Set<number>();
    const rawIds = input.member_ids;
    if (rawIds !== undefined && rawIds !== null) {
      if (!Array.isArray(rawIds) || !rawIds.every(isAccountId)) {
        errors.member_ids = 'must be an array of account ids';
      } else {
        const unknown = rawIds.find((id) => !this.accounts.has(id));
        if (unknown !== undefined) errors.member_ids = `unknown account ${unknown}`;
        else for (const id of rawIds) members.add(id);
      }
    }
    if (Object.keys(errors).length > 0) throw validationFailed(errors);
    return { name, members };
  }

  // A change within the same millisecond must still move updated_at forward: consumers may
  // derive versions or change detection from it.
  private bump(previous: string): string {
    const now = this.now().getTime();
    const floor = Date.parse(previous) + 1;
    return new Date(Math.max(now, floor)).toISOString();
  }
}

function toTeam(team: TeamRecord): Team {
  return { id: team.id, name: team.name, member_ids: [...team.members] };
}
