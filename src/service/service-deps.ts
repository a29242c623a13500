import type { IdMap } from '../idmap/id-map.js';
import type { ResourceTypeName } from '../idmap/types.js';
import type { ResourceLock } from '../locks/keyed-lock.js';
import type { ResourceSchema } from '../scim/schema-types.js';

/** The log calls the service makes; pino's logger satisfies it. */
export interface ServiceLog {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
}

export interface ServiceLimits {
  /** Most app records a filter that cannot be pushed down may read before answering tooMany. */
  maxScan: number;
  /** ListResponse size when the client sends no `count`. */
  defaultCount: number;
  /** Largest `count` honoured (RFC 7644 §3.4.2.4 lets the provider cap it). */
  maxCount: number;
  /** Parallel calls to the app when one SCIM request needs several (item reads, member changes). */
  fanOut: number;
  /**
   * Pause before reading a record again after the app answered 404 for it: one 404 is not proof
   * that the record is gone (an app restarting, a proxy that lost its route).
   */
  recheckAfterMs: number;
}

export const DEFAULT_LIMITS: ServiceLimits = {
  maxScan: 10_000,
  defaultCount: 100,
  maxCount: 1000,
  fanOut: 8,
  recheckAfterMs: 300,
};

export interface ServiceDeps {
  idMap: IdMap;
  schemas: Record<ResourceTypeName, ResourceSchema>;
  /** What /Schemas advertises per resource type: the attributes that survive a write and a read. */
  advertisedSchemas: Record<ResourceTypeName, ResourceSchema>;
  /** Refuse a write carrying attributes the mapping cannot store, instead of reporting it. */
  strictAttributes: boolean;
  locks: ResourceLock;
  log: ServiceLog;
  limits: ServiceLimits;
  now?: () => Date;
}

/** RFC 7644 §3.14 preconditions of a write: the client's `If-Match` header, as sent. */
export interface Preconditions {
  ifMatch?: string;
}

/** Per-request inputs for building responses. */
export interface ReadOptions {
  /** `https://host/scim/v2`, for meta.location. */
  baseUrl: string;
  attributes?: string[];
  excludedAttributes?: string[];
  /**
   * Whether the client gets the resource back (a PATCH answered 200 rather than 204): without it,
   * a change the service can make without reading the resource is made without reading it.
   */
  representation?: boolean;
}
