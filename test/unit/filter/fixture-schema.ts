import type { AttributeDefinition, AttributeType, ResourceSchema } from '../../../src/scim/schema-types.js';

export const USER_SCHEMA_ID = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_SCHEMA_ID = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

function attr(
  name: string,
  type: AttributeType,
  options: Partial<Omit<AttributeDefinition, 'name' | 'type'>> = {},
): AttributeDefinition {
  return {
    name,
    type,
    multiValued: false,
    description: name,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...options,
  };
}

/** A trimmed RFC 7643 §4.1 User with the §4.3 enterprise extension: what the filter tests exercise. */
export const userSchema: ResourceSchema = {
  resourceType: 'User',
  core: {
    id: USER_SCHEMA_ID,
    name: 'User',
    description: 'User Account',
    attributes: [
      // RFC 7643 §3.1: id and externalId are caseExact, userName is not (§4.1.1).
      attr('id', 'string', {
        caseExact: true,
        mutability: 'readOnly',
        returned: 'always',
        uniqueness: 'server',
      }),
      attr('externalId', 'string', { caseExact: true }),
      attr('userName', 'string', { required: true, uniqueness: 'server' }),
      attr('displayName', 'string'),
      attr('name', 'complex', {
        subAttributes: [attr('givenName', 'string'), attr('familyName', 'string')],
      }),
      attr('emails', 'complex', {
        multiValued: true,
        subAttributes: [attr('value', 'string'), attr('type', 'string'), attr('primary', 'boolean')],
      }),
      attr('active', 'boolean'),
      attr('loginCount', 'integer'),
      attr('photo', 'binary', { caseExact: true }),
      attr('meta', 'complex', {
        mutability: 'readOnly',
        subAttributes: [attr('created', 'dateTime'), attr('lastModified', 'dateTime')],
      }),
    ],
  },
  extensions: [
    {
      id: ENTERPRISE_SCHEMA_ID,
      name: 'EnterpriseUser',
      description: 'Enterprise User',
      attributes: [attr('department', 'string'), attr('employeeNumber', 'string')],
    },
  ],
};

export const GROUP_SCHEMA_ID = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/** A trimmed RFC 7643 §4.2 Group. */
export const groupSchema: ResourceSchema = {
  resourceType: 'Group',
  core: {
    id: GROUP_SCHEMA_ID,
    name: 'Group',
    description: 'Group',
    attributes: [
      attr('id', 'string', {
        caseExact: true,
        mutability: 'readOnly',
        returned: 'always',
        uniqueness: 'server',
      }),
      attr('displayName', 'string', { required: true }),
      attr('members', 'complex', {
        multiValued: true,
        subAttributes: [
          attr('value', 'string', { caseExact: true, mutability: 'immutable' }),
          attr('display', 'string'),
          attr('type', 'string', { canonicalValues: ['User', 'Group'] }),
        ],
      }),
    ],
  },
  extensions: [],
};
