import type { AttributeDefinition, SchemaDefinition } from '../schema-types.js';
import { isCommonAttribute } from './common.js';

/** RFC 7643 §7: the schema of schema representations. */
export const SCHEMA_SCHEMA_ID = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
/** RFC 7643 §6. */
export const RESOURCE_TYPE_SCHEMA_ID = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
/** RFC 7643 §5. */
export const SERVICE_PROVIDER_CONFIG_SCHEMA_ID =
  'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';

/** Resource metadata as the discovery endpoints return it (RFC 7643 §3.1 `meta`). */
export interface DiscoveryMeta {
  resourceType: string;
  location: string;
}

/** One schema as GET /Schemas returns it (RFC 7643 §7, example in §8.7.1). */
export interface SchemaRepresentation {
  schemas: string[];
  id: string;
  name: string;
  description: string;
  attributes: AttributeDefinition[];
  meta: DiscoveryMeta;
}

/**
 * The RFC 7643 §7 representation of a schema. The §3.1 common attributes (`id`, `externalId`, `meta`)
 * are left out even when `def` includes them for filter and PATCH purposes: §3.1 says they are not
 * part of any schema. `baseUrl` is the SCIM base URL the client used, without a trailing slash.
 */
export function discoverySchema(def: SchemaDefinition, baseUrl = ''): SchemaRepresentation {
  return {
    schemas: [SCHEMA_SCHEMA_ID],
    id: def.id,
    name: def.name,
    description: def.description,
    attributes: def.attributes.filter((a) => !isCommonAttribute(a.name)).map(renderAttribute),
    meta: { resourceType: 'Schema', location: `${stripSlash(baseUrl)}/Schemas/${def.id}` },
  };
}

/** A copy in the property order of RFC 7643 §8.7.1, so output diffs cleanly against the RFC. */
function renderAttribute(a: AttributeDefinition): AttributeDefinition {
  const out: AttributeDefinition = {
    name: a.name,
    type: a.type,
    multiValued: a.multiValued,
    description: a.description,
    required: a.required,
    caseExact: a.caseExact,
    mutability: a.mutability,
    returned: a.returned,
    uniqueness: a.uniqueness,
  };
  if (a.canonicalValues) out.canonicalValues = [...a.canonicalValues];
  if (a.referenceTypes) out.referenceTypes = [...a.referenceTypes];
  if (a.subAttributes) out.subAttributes = a.subAttributes.map(renderAttribute);
  return out;
}

/** A schema extension of a resource type (RFC 7643 §6 `schemaExtensions`). */
export interface SchemaExtensionRef {
  schema: string;
  required: boolean;
}

export interface ResourceTypeOptions {
  /** The resource type name, also used as its `id` (RFC 7643 §6). */
  name: string;
  /** The endpoint relative to the base URL, e.g. `/Users`. */
  endpoint: string;
  /** The core schema URN. */
  schema: string;
  extensions: SchemaExtensionRef[];
  description?: string;
  baseUrl?: string;
}

/** One resource type as GET /ResourceTypes returns it (RFC 7643 §6). */
export interface ResourceTypeRepresentation {
  schemas: string[];
  id: string;
  name: string;
  endpoint: string;
  description?: string;
  schema: string;
  schemaExtensions?: SchemaExtensionRef[];
  meta: DiscoveryMeta;
}

/** The RFC 7643 §6 representation of a resource type; `schemaExtensions` is OPTIONAL and omitted when empty. */
export function resourceTypeRepresentation(options: ResourceTypeOptions): ResourceTypeRepresentation {
  const out: ResourceTypeRepresentation = {
    schemas: [RESOURCE_TYPE_SCHEMA_ID],
    id: options.name,
    name: options.name,
    endpoint: options.endpoint,
    schema: options.schema,
    meta: {
      resourceType: 'ResourceType',
      location: `${stripSlash(options.baseUrl ?? '')}/ResourceTypes/${options.name}`,
    },
  };
  if (options.description !== undefined) out.description = options.description;
  if (options.extensions.length > 0) {
    out.schemaExtensions = options.extensions.map((e) => ({ schema: e.schema, required: e.required }));
  }
  return out;
}

/** RFC 7643 §5 `authenticationSchemes` entry; `primary` comes from the §8.5 example. */
export interface AuthenticationScheme {
  /** e.g. "oauthbearertoken", "httpbasic" (RFC 7643 §5). */
  type: string;
  name: string;
  description: string;
  specUri?: string;
  documentationUri?: string;
  primary?: boolean;
}

export interface ServiceProviderConfigOptions {
  patch: boolean;
  /** `true` needs limits, so supported bulk is given as its limits. */
  bulk: false | { maxOperations: number; maxPayloadSize: number };
  filter: { supported: boolean; maxResults: number };
  changePassword: boolean;
  sort: boolean;
  etag: boolean;
  authenticationSchemes: AuthenticationScheme[];
  documentationUri?: string;
  baseUrl?: string;
}

/** GET /ServiceProviderConfig (RFC 7643 §5). */
export interface ServiceProviderConfigRepresentation {
  schemas: string[];
  documentationUri?: string;
  patch: { supported: boolean };
  bulk: { supported: boolean; maxOperations: number; maxPayloadSize: number };
  filter: { supported: boolean; maxResults: number };
  changePassword: { supported: boolean };
  sort: { supported: boolean };
  etag: { supported: boolean };
  authenticationSchemes: AuthenticationScheme[];
  meta: DiscoveryMeta;
}

/**
 * The RFC 7643 §5 representation. §5 makes `maxOperations` and `maxPayloadSize` REQUIRED even when
 * bulk is unsupported, so an unsupported bulk advertises zeros.
 */
export function serviceProviderConfigRepresentation(
  options: ServiceProviderConfigOptions,
): ServiceProviderConfigRepresentation {
  const out: ServiceProviderConfigRepresentation = {
    schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA_ID],
    patch: { supported: options.patch },
    bulk: options.bulk
      ? {
          supported: true,
          maxOperations: options.bulk.maxOperations,
          maxPayloadSize: options.bulk.maxPayloadSize,
        }
      : { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: options.filter.supported, maxResults: options.filter.maxResults },
    changePassword: { supported: options.changePassword },
    sort: { supported: options.sort },
    etag: { supported: options.etag },
    authenticationSchemes: options.authenticationSchemes.map((s) => ({ ...s })),
    meta: {
      resourceType: 'ServiceProviderConfig',
      location: `${stripSlash(options.baseUrl ?? '')}/ServiceProviderConfig`,
    },
  };
  if (options.documentationUri !== undefined) out.documentationUri = options.documentationUri;
  return out;
}

function stripSlash(url: string): string {
  return url.endsWith('/') ? url.replace(/\/+$/, '') : url;
}
