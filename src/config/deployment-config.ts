/** The deployment configuration (config.yaml) after validation, with defaults applied and paths resolved. */

export interface BearerTokenConfig {
  name: string;
  /** `sha256:<hex>` of the token; the token itself is never stored. */
  hash: string;
  expiresAt?: Date;
}

export interface InboundAuthConfig {
  bearer?: { tokens: BearerTokenConfig[] };
  basic?: { username: string; passwordHash: string };
}

export interface UpstreamAuthConfig {
  header?: { name: string; value: string };
  bearer?: string;
  basic?: { username: string; password: string };
}

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
  };
  auth: InboundAuthConfig;
  upstream: {
    baseUrl: string;
    auth: UpstreamAuthConfig;
    timeoutMs: number;
    concurrency: number;
  };
  /** Absolute path of the mapping file. */
  mapping: string;
  idMap: { store: 'file' | 'memory'; path: string; cacheSize: number };
  logging: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  basePath: '/scim/v2',
  bodyLimit: 1024 * 1024,
  upstreamTimeoutMs: 15_000,
  upstreamConcurrency: 16,
  idMapPath: './data/idmap.jsonl',
  idMapCacheSize: 10_000,
  logLevel: 'info',
} as const;
