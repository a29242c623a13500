import type { SchemaDefinition } from '../schema-types.js';
import { defineAttribute } from './common.js';

/** RFC 7643 §4.2 / §8.7.1. */
export const GROUP_SCHEMA_ID = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/**
 * The RFC 7643 §8.7.1 Group schema. Two deliberate notes:
 * - `displayName` keeps the RFC's `required: false` although its own description (and §4.2) says
 *   REQUIRED; RFC 7643 erratum 5368 reports the contradiction. Request validation treats it as required.
 * - `members.display` is absent from §8.7.1, but §2.4 lists `display` among the default sub-attributes
 *   of multi-valued attributes, and Entra ID and other clients send and expect it. It is `immutable`
 *   like its siblings, so a client may send it on create without it being dropped as read-only.
 */
export const GROUP_SCHEMA: SchemaDefinition = {
  id: GROUP_SCHEMA_ID,
  name: 'Group',
  description: 'Group',
  attributes: [
    defineAttribute({
      name: 'displayName',
      type: 'string',
      description: 'A human-readable name for the Group. REQUIRED.',
    }),
    defineAttribute({
      name: 'members',
      type: 'complex',
      multiValued: true,
      description: 'A list of members of the Group.',
      subAttributes: [
        defineAttribute({
          name: 'value',
          type: 'string',
          description: 'Identifier of the member of this Group.',
          mutability: 'immutable',
        }),
        defineAttribute({
          name: '$ref',
          type: 'reference',
          referenceTypes: ['User', 'Group'],
          description: 'The URI corresponding to a SCIM resource that is a member of this Group.',
          mutability: 'immutable',
        }),
        defineAttribute({
          name: 'type',
          type: 'string',
          description: "A label indicating the type of resource, e.g., 'User' or 'Group'.",
          canonicalValues: ['User', 'Group'],
          mutability: 'immutable',
        }),
        defineAttribute({
          name: 'display',
          type: 'string',
          description: 'A human-readable name for the member, primarily used for display purposes.',
          mutability: 'immutable',
        }),
      ],
    }),
  ],
};
