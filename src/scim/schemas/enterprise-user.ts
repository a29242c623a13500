import type { SchemaDefinition } from '../schema-types.js';
import { defineAttribute } from './common.js';

/** RFC 7643 §4.3 / §8.7.1. */
export const ENTERPRISE_USER_SCHEMA_ID = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/**
 * The RFC 7643 §8.7.1 Enterprise User extension. `manager.value` and `manager.$ref` keep the RFC's
 * `required: false` although their descriptions say REQUIRED: a manager is optional as a whole.
 */
export const ENTERPRISE_USER_SCHEMA: SchemaDefinition = {
  id: ENTERPRISE_USER_SCHEMA_ID,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    defineAttribute({
      name: 'employeeNumber',
      type: 'string',
      description:
        'Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization.',
    }),
    defineAttribute({
      name: 'costCenter',
      type: 'string',
      description: 'Identifies the name of a cost center.',
    }),
    defineAttribute({
      name: 'organization',
      type: 'string',
      description: 'Identifies the name of an organization.',
    }),
    defineAttribute({ name: 'division', type: 'string', description: 'Identifies the name of a division.' }),
    defineAttribute({
      name: 'department',
      type: 'string',
      description: 'Identifies the name of a department.',
    }),
    defineAttribute({
      name: 'manager',
      type: 'complex',
      description:
        "The User's manager.  A complex type that optionally allows service providers to represent organizational hierarchy by referencing the 'id' attribute of another User.",
      subAttributes: [
        defineAttribute({
          name: 'value',
          type: 'string',
          description: "The id of the SCIM resource representing the User's manager.  REQUIRED.",
        }),
        defineAttribute({
          name: '$ref',
          type: 'reference',
          referenceTypes: ['User'],
          description: "The URI of the SCIM resource representing the User's manager.  REQUIRED.",
        }),
        defineAttribute({
          name: 'displayName',
          type: 'string',
          description: "The displayName of the User's manager. OPTIONAL and READ-ONLY.",
          mutability: 'readOnly',
        }),
      ],
    }),
  ],
};
