import type { AttributeDefinition } from '../schema-types.js';

/** The properties a definition must state; everything else falls back to the RFC 7643 §7 defaults. */
export type AttributeSpec = Pick<AttributeDefinition, 'name' | 'type' | 'description'> &
  Partial<AttributeDefinition>;

/**
 * Builds an attribute definition, filling the properties RFC 7643 §7 gives defaults for
 * (required false, caseExact false, mutability readWrite, returned default, uniqueness none).
 * RFC 7643 §8.7.1 leaves them out for booleans and complex attributes, so the defaults are what it means there.
 */
export function defineAttribute(spec: AttributeSpec): AttributeDefinition {
  return {
    multiValued: false,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...spec,
  };
}

/**
 * RFC 7643 §3.1 `id`. Required there for representations the service provider returns; it is left
 * `required: false` here because clients never send it, and validation of requests must not demand it.
 */
export const ID_ATTRIBUTE: AttributeDefinition = defineAttribute({
  name: 'id',
  type: 'string',
  description:
    'A unique identifier for a SCIM resource as defined by the service provider.  Each representation of the resource MUST include a non-empty "id" value.  This identifier MUST be unique across the SCIM service provider\'s entire set of resources.',
  caseExact: true,
  mutability: 'readOnly',
  returned: 'always',
  uniqueness: 'server',
});

/** RFC 7643 §3.1 `externalId`: set by the provisioning client, compared case-sensitively. */
export const EXTERNAL_ID_ATTRIBUTE: AttributeDefinition = defineAttribute({
  name: 'externalId',
  type: 'string',
  description:
    'A String that is an identifier for the resource as defined by the provisioning client.  The "externalId" may simplify identification of a resource between the provisioning client and the service provider by allowing the client to use a filter to locate the resource with an identifier from the provisioning domain, obviating the need to store a local mapping between the provisioning domain\'s identifier of the resource and the identifier used by the service provider.',
  caseExact: true,
});

/** RFC 7643 §3.1 `meta`: every sub-attribute is assigned by the service provider. */
export const META_ATTRIBUTE: AttributeDefinition = defineAttribute({
  name: 'meta',
  type: 'complex',
  description:
    'A complex attribute containing resource metadata.  All "meta" sub-attributes are assigned by the service provider (have a "mutability" of "readOnly"), and all of these sub-attributes have a "returned" characteristic of "default".  This attribute SHALL be ignored when provided by clients.',
  mutability: 'readOnly',
  subAttributes: [
    defineAttribute({
      name: 'resourceType',
      type: 'string',
      description: 'The name of the resource type of the resource.',
      caseExact: true,
      mutability: 'readOnly',
    }),
    defineAttribute({
      name: 'created',
      type: 'dateTime',
      description: 'The "DateTime" that the resource was added to the service provider.',
      mutability: 'readOnly',
    }),
    defineAttribute({
      name: 'lastModified',
      type: 'dateTime',
      description:
        'The most recent DateTime that the details of this resource were updated at the service provider.',
      mutability: 'readOnly',
    }),
    defineAttribute({
      name: 'location',
      type: 'reference',
      referenceTypes: ['uri'],
      description: 'The URI of the resource being returned.',
      caseExact: true,
      mutability: 'readOnly',
    }),
    defineAttribute({
      name: 'version',
      type: 'string',
      description: 'The version of the resource being returned.',
      caseExact: true,
      mutability: 'readOnly',
    }),
  ],
});

/**
 * The attributes every resource carries (RFC 7643 §3.1). They take part in filters and PATCH like
 * any other attribute, but §3.1 says they are not part of a resource's schema, so /Schemas leaves them out.
 */
export const COMMON_ATTRIBUTES: readonly AttributeDefinition[] = [
  ID_ATTRIBUTE,
  EXTERNAL_ID_ATTRIBUTE,
  META_ATTRIBUTE,
];

/** Whether `name` is one of the RFC 7643 §3.1 common attributes (names compare case-insensitively, §2.1). */
export function isCommonAttribute(name: string): boolean {
  const lower = name.toLowerCase();
  return COMMON_ATTRIBUTES.some((a) => a.name.toLowerCase() === lower);
}
