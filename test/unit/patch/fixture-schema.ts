import type { AttributeDefinition, ResourceSchema } from '../../../src/scim/schema-types.js';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

function attr(
  name: string,
  type: AttributeDefinition['type'] = 'string',
  options: Partial<AttributeDefinition> = {},
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

function complex(
  name: string,
  subAttributes: AttributeDefinition[],
  options: Partial<AttributeDefinition> = {},
) {
  return attr(name, 'complex', { subAttributes, ...options });
}

/** A trimmed RFC 7643 §8.7.1 User with the enterprise extension, enough to exercise PATCH. */
export const userSchema: ResourceSchema = {
  resourceType: 'User',
  core: {
    id: USER_SCHEMA,
    name: 'User',
    description: 'User Account',
    attributes: [
      attr('id', 'string', {
        mutability: 'readOnly',
        caseExact: true,
        returned: 'always',
        uniqueness: 'server',
      }),
      attr('userName', 'string', { required: true, uniqueness: 'server' }),
      complex('name', [attr('givenName'), attr('familyName'), attr('formatted')]),
      attr('displayName'),
      attr('active', 'boolean'),
      complex('emails', [attr('value'), attr('type'), attr('primary', 'boolean')], { multiValued: true }),
      complex('phoneNumbers', [attr('value'), attr('type')], { multiValued: true }),
      attr('externalId', 'string', { caseExact: true }),
      complex('meta', [attr('resourceType'), attr('created', 'dateTime'), attr('lastModified', 'dateTime')], {
        mutability: 'readOnly',
      }),
    ],
  },
  extensions: [
    {
      id: ENTERPRISE,
      name: 'EnterpriseUser',
      description: 'Enterprise User',
      attributes: [
        attr('department'),
        attr('employeeNumber'),
        complex('manager', [attr('value'), attr('displayName', 'string', { mutability: 'readOnly' })]),
      ],
    },
  ],
};

/** RFC 7643 §8.7.1 Group, trimmed. */
export const groupSchema: ResourceSchema = {
  resourceType: 'Group',
  core: {
    id: GROUP_SCHEMA,
    name: 'Group',
    description: 'Group',
    attributes: [
      attr('displayName', 'string', { required: true }),
      complex(
        'members',
        [
          attr('value', 'string', { mutability: 'immutable' }),
          attr('$ref', 'reference'),
          attr('display'),
          attr('type'),
        ],
        {
          multiValued: true,
        },
      ),
    ],
  },
  extensions: [],
};
