/** The deployment configuration (config.yaml) after validation, with defaults applied and paths resolved. */

export interface BearerTokenConfig {
  name: string;
  /** `sha256:<hex>` of the token; the token itself is never stored. */
  hash: string;
  expiresAt?: Date;
}

/** OAuth 2.0 access tokens (JWT) issued by Microsoft Entra ID or another OpenID provider. */
export interface JwtAuthConfig {
  issuer: string | string[];
  audience: string | string[];
  /** Where the provider publishes its signing keys (JWKS). */
  jwksUri: string;
  /** Accepted signing algorithms; never `none` or HMAC. */
  algorithms: string[];
  clockToleranceSec: number;
  /** When set, only tokens issued to these clients (`appid` / `azp`) are accepted. */
  allowedClientIds?: string[];
}

export interface InboundAuthConfig {
  bearer?: { tokens: BearerTokenConfig[] };
  basic?: { username: string; passwordHash: string };
  jwt?: JwtAuthConfig;
}

export interface TlsConfig {
  /** Absolute paths of the PEM certificate (chain) and private key; re-read when they change. */
  certFile: string;
  keyFile: string;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
}

export interface AuthThrottleConfig {
  /** Failed authentications from one client address within `windowSec` that block it. */
  maxFailures: number;
  windowSec: number;
  blockSec: number;
}

/** Where the audit trail goes: standard output, a file (absolute path), or nowhere. */
export type AuditDestination = 'stdout' | 'off' | { file: string };

export interface UpstreamAuthConfig {
  header?: { name: string; value: string };
  bearer?: string;
  basic?: { username: string; password: string };
}

export interface RedisConfig {
  /** `redis://[:password@]host[:port][/db]`; may hold a password, so never log it as is. */
  url: string;
  keyPrefix: string;
}

/** How traffic outside the SCIM base path is forwarded to the app. */
export interface PassthroughConfig {
  /** Largest request body forwarded, in bytes; larger ones get 413. Absent: no limit of its own. */
  bodyLimit?: number;
  /**
   * `set`: the client's forwarding headers (X-Forwarded-*, Forwarded, X-Real-IP) are dropped,
   * unless the peer is one of `server.trustedProxies`, and X-Forwarded-For, -Proto and -Host are
   * set by the sidecar. `strip`: they are dropped and none are set.
   */
  forwardedHeaders: 'set' | 'strip';
}

export interface MetricsConfig {
  enabled: boolean;
  path: string;
  /** `sha256:<hex>` of the bearer token a scraper must send; absent: no authentication. */
  bearerTokenHash?: string;
}

/** A webhook called when provisioning failures cross a threshold within a window. */
export interface NotificationsConfig {
  /** May hold a secret (Slack and Teams webhook URLs do): never logged or shown whole. */
  webhook: string;
  format: 'json' | 'slack' | 'teams';
  threshold: number;
  windowSec: number;
  quietSec: number;
}

/** The admin console (`admin:`); absent or `enabled: false`: nothing is registered. */
export interface AdminConfig {
  enabled: boolean;
  path: string;
  /** `sha256:<hex>` of the console token; never one of the SCIM tokens. */
  tokenHash?: string;
  basic?: { username: string; passwordHash: string };
  sessionMinutes: number;
  /** Provisioning operations kept in memory for the Activity page. */
  activitySize: number;
  notifications?: NotificationsConfig;
}

export const ADMIN_DEFAULTS = {
  path: '/admin',
  sessionMinutes: 480,
  activitySize: 1000,
  notifications: { format: 'json', threshold: 5, windowSec: 300, quietSec: 900 },
} as const;

export interface DeploymentConfig {
  /** Absolute path of the file this came from ('<inline>' when built in code). */
  file: string;
  server: {
    host: string;
    port: number;
    basePath: string;
    publicUrl?: string;
    bodyLimit: number;
    trustProxy: boolean;
    requestDeadlineMs: number;
    /** Fixed client profile, or detection per request (`auto`, the default when left out). */
    clientProfile?: 'auto' | 'entra' | 'okta' | 'generic';
    /** Serve HTTPS directly; absent: plain HTTP (behind a TLS-terminating proxy). */
    tls?: TlsConfig;
    /** CIDR ranges allowed to call SCIM routes; absent or empty: any address. */
    allowList?: string[];
    /** CIDR ranges of proxies whose X-Forwarded-For is believed. */
    trustedProxies?: string[];
    /** Absent: the defaults (`DEFAULTS.authThrottle`); `maxFailures: 0` turns it off. */
    authThrottle?: AuthThrottleConfig;
    /** Reload config.yaml and the mapping when they change on disk (as on SIGHUP). */
    watch?: boolean;
    /**
     * Refuse (400 invalidValue) a write carrying attributes the mapping cannot store, instead of
     * accepting it with a warning. Absent: false.
     */
    strictAttributes?: boolean;
  };
  auth: InboundAuthConfig;
  upstream: {
    baseUrl: string;
    auth: UpstreamAuthConfig;
    timeoutMs: number;
    concurrency: number;
    maxQueue: number;
    retries: number;
  };
  /** Absolute path of the mapping file. */
  mapping: string;
  idMap: {
    store: 'file' | 'memory' | 'redis';
    path: string;
    cacheSize: number;
    /** Set when `store` is `redis`. */
    redis?: RedisConfig;
  };
  /** The Prometheus endpoint; absent: served at /metrics without authentication. */
  metrics?: MetricsConfig;
  /** Absent: forwarding headers set by the sidecar, no body limit of its own. */
  passthrough?: PassthroughConfig;
  /** The admin console; absent: off. */
  admin?: AdminConfig;
  logging: {
    level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
    /** Absent: no audit trail (loadConfig fills in `stdout` for a config file). */
    audit?: AuditDestination;
  };
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  basePath: '/scim/v2',
  bodyLimit: 1024 * 1024,
  upstreamTimeoutMs: 15_000,
  upstreamConcurrency: 16,
  upstreamMaxQueue: 256,
  upstreamRetries: 2,
  requestDeadlineMs: 40_000,
  idMapPath: './data/idmap.jsonl',
  idMapCacheSize: 10_000,
  redisUrl: 'redis://127.0.0.1:6379',
  redisKeyPrefix: 'scim-sidecar',
  logLevel: 'info',
  metricsPath: '/metrics',
  jwtAlgorithms: ['RS256'],
  jwtClockToleranceSec: 60,
  tlsMinVersion: 'TLSv1.2',
  authThrottle: { maxFailures: 10, windowSec: 60, blockSec: 300 },
  audit: 'stdout',
} as const;
