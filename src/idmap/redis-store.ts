import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { IdMapConflictError } from './entry-index.js';
import type { IdMapEntry, IdMapStore, ResourceTypeName } from './types.js';

/**
 * A Lua script run with EVALSHA, falling back to EVAL (which also loads it) the first time a
 * server has not seen it. Scripts run atomically: no other command interleaves with one.
 */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: Redis, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/** The URL with its password (if any) replaced by `***`, for log lines and error messages. */
export function redactRedisUrl(url: string): string {
  if (!URL.canParse(url)) return '<invalid Redis URL>';
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}

export interface RedisConnectOptions {
  /** Shown in `CLIENT LIST`, to tell replicas apart on the server. */
  connectionName?: string;
  /**
   * Told when the connection fails after it was up (ioredis keeps reconnecting in the
   * background); told again once it is back (`error` undefined). Default: ignore.
   */
  onConnectionChange?: (error: Error | undefined) => void;
  /** Time to establish the first connection. Default 5 000 ms. */
  connectTimeoutMs?: number;
}

/**
 * Opens a connection to `url` (`redis://[:password@]host[:port][/db]`, `rediss://` for TLS) and
 * waits until it is ready. Commands issued while the connection is down are retried twice on
 * reconnect, then fail, so a request is not held up indefinitely by an unreachable Redis.
 * Errors name the server with its password masked.
 */
export async function connectRedis(url: string, options: RedisConnectOptions = {}): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 5_000,
    maxRetriesPerRequest: 2,
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
  });
  // Without an 'error' listener ioredis prints every failed reconnect to stderr.
  let up = false;
  let down = false;
  let connectError: Error | undefined;
  client.on('error', (error: Error) => {
    if (!up) connectError = error;
    if (!up || down) return;
    down = true;
    options.onConnectionChange?.(error);
  });
  client.on('ready', () => {
    if (down) options.onConnectionChange?.(undefined);
    up = true;
    down = false;
  });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    // ioredis rejects with "Connection is closed."; the cause came as an 'error' event.
    const cause = connectError ?? error;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new Error(`Cannot connect to Redis at ${redactRedisUrl(url)}: ${reason}`);
  }
  return client;
}

export interface RedisIdMapStoreOptions {
  /** Prepended to every key, with a colon. Default `scim-sidecar`. */
  keyPrefix?: string;
  /** Whether `close` also closes the connection. Default true. */
  ownsClient?: boolean;
}

/**
 * `put`: KEYS entry, appId index, count, [externalId index]; ARGV json, scimId, `<prefix>:<type>:`.
 * Refuses an appId another SCIM id holds ({0, holder}); drops the keys the previous version of
 * the entry held, unless another entry has taken them over since; counts new entries.
 */
const PUT_SCRIPT = new RedisScript(`
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[2] then return {0, holder} end
local previous = redis.call('GET', KEYS[1])
if previous then
  local old = cjson.decode(previous)
  if type(old.appId) == 'string' then
    local key = ARGV[3] .. 'app:' .. old.appId
    if key ~= KEYS[2] and redis.call('GET', key) == ARGV[2] then redis.call('DEL', key) end
  end
  if type(old.externalId) == 'string' then
    local key = ARGV[3] .. 'ext:' .. old.externalId
    if key ~= KEYS[4] and redis.call('GET', key) == ARGV[2] then redis.call('DEL', key) end
  end
else
  redis.call('INCR', KEYS[3])
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
if KEYS[4] then redis.call('SET', KEYS[4], ARGV[2]) end
return {1}
`);

/** KEYS entry, count; ARGV scimId, `<prefix>:<type>:`. Index keys go only if they still point here. */
const DELETE_SCRIPT = new RedisScript(`
local previous = redis.call('GET', KEYS[1])
if not previous then return 0 end
local old = cjson.decode(previous)
if type(old.appId) == 'string' then
  local key = ARGV[2] .. 'app:' .. old.appId
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
if type(old.externalId) == 'string' then
  local key = ARGV[2] .. 'ext:' .. old.externalId
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
redis.call('DEL', KEYS[1])
redis.call('DECR', KEYS[2])
return 1
`);

/** KEYS index key; ARGV `<prefix>:<type>:`. The entry the index key points at, in one step. */
const LOOKUP_SCRIPT = new RedisScript(`
local scimId = redis.call('GET', KEYS[1])
if not scimId then return false end
return redis.call('GET', ARGV[1] .. 'scim:' .. scimId)
`);

/**
 * The id map in Redis, shared by several replicas. Per resource type:
 *
 * - `<prefix>:<type>:scim:<scimId>`: the entry, as JSON;
 * - `<prefix>:<type>:app:<appId>` and `<prefix>:<type>:ext:<externalId>`: the SCIM id holding it;
 * - `<prefix>:<type>:count`: the number of entries.
 *
 * `put` and `delete` are Lua scripts, so each is atomic: index keys never point at a missing
 * entry, and a second resource claiming an appId is refused with an `IdMapConflictError` even
 * when the two writes come from different replicas. externalId is not unique: its latest writer
 * wins. The scripts derive the old index keys from the stored entry, so this needs a single
 * Redis (standalone, or a primary behind Sentinel), not Redis Cluster.
 *
 * Durability: a write resolves once Redis has acknowledged it, which means it is in the
 * server's memory. What survives a Redis crash then depends on Redis persistence: run it with
 * `appendonly yes` and `appendfsync everysec` (at most about a second of writes lost) or
 * `appendfsync always` (none, at some throughput cost). Without persistence a Redis restart
 * forgets every SCIM id, and the IdP then sees its resources under new ids.
 */
export class RedisIdMapStore implements IdMapStore {
  private readonly prefix: string;
  private readonly ownsClient: boolean;
  private closed = false;

  constructor(
    /** The connection, for a lock sharing it (see `RedisResourceLock`). */
    readonly client: Redis,
    options: RedisIdMapStoreOptions = {},
  ) {
    this.prefix = options.keyPrefix ?? 'scim-sidecar';
    this.ownsClient = options.ownsClient ?? true;
  }

  /** Connects to `url` (see {@link connectRedis}); the store closes the connection on `close`. */
  static async open(
    url: string,
    options: Omit<RedisIdMapStoreOptions, 'ownsClient'> & RedisConnectOptions = {},
  ): Promise<RedisIdMapStore> {
    const client = await connectRedis(url, options);
    return new RedisIdMapStore(client, { ...options, ownsClient: true });
  }

  get keyPrefix(): string {
    return this.prefix;
  }

  async get(resourceType: ResourceTypeName, scimId: string): Promise<IdMapEntry | undefined> {
    return parseEntry(await this.client.get(this.key(resourceType, 'scim', scimId)));
  }

  async findByAppId(resourceType: ResourceTypeName, appId: string): Promise<IdMapEntry | undefined> {
    return this.lookup(resourceType, this.key(resourceType, 'app', appId));
  }

  async findByExternalId(
    resourceType: ResourceTypeName,
    externalId: string,
  ): Promise<IdMapEntry | undefined> {
    return this.lookup(resourceType, this.key(resourceType, 'ext', externalId));
  }

  async put(entry: IdMapEntry): Promise<void> {
    this.assertOpen();
    const { resourceType, scimId, appId, externalId } = entry;
    const keys = [
      this.key(resourceType, 'scim', scimId),
      this.key(resourceType, 'app', appId),
      this.countKey(resourceType),
    ];
    if (externalId !== undefined) keys.push(this.key(resourceType, 'ext', externalId));
    const result = await PUT_SCRIPT.run(this.client, keys, [
      JSON.stringify(entry),
      scimId,
      this.typeBase(resourceType),
    ]);
    if (Array.isArray(result) && result[0] === 0) {
      throw new IdMapConflictError(resourceType, 'appId', appId, String(result[1]));
    }
  }

  async delete(resourceType: ResourceTypeName, scimId: string): Promise<void> {
    this.assertOpen();
    await DELETE_SCRIPT.run(
      this.client,
      [this.key(resourceType, 'scim', scimId), this.countKey(resourceType)],
      [scimId, this.typeBase(resourceType)],
    );
  }

  async size(resourceType: ResourceTypeName): Promise<number> {
    const count = await this.client.get(this.countKey(resourceType));
    return count === null ? 0 : Number(count);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.ownsClient) return;
    try {
      await this.client.quit();
    } catch {
      // Already disconnected: nothing left to flush.
      this.client.disconnect();
    }
  }

  private async lookup(resourceType: ResourceTypeName, indexKey: string): Promise<IdMapEntry | undefined> {
    const json = await LOOKUP_SCRIPT.run(this.client, [indexKey], [this.typeBase(resourceType)]);
    return parseEntry(typeof json === 'string' ? json : null);
  }

  private typeBase(resourceType: ResourceTypeName): string {
    return `${this.prefix}:${resourceType}:`;
  }

  private key(resourceType: ResourceTypeName, kind: 'scim' | 'app' | 'ext', id: string): string {
    return `${this.typeBase(resourceType)}${kind}:${id}`;
  }

  private countKey(resourceType: ResourceTypeName): string {
    return `${this.typeBase(resourceType)}count`;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The id map store is closed');
  }
}

function parseEntry(json: string | null): IdMapEntry | undefined {
  return json === null ? undefined : (JSON.parse(json) as IdMapEntry);
}
