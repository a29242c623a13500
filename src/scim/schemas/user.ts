import type { AttributeDefinition, SchemaDefinition } from '../schema-types.js';
import { defineAttribute } from './common.js';

/** RFC 7643 §4.1 / §8.7.1. */
export const USER_SCHEMA_ID = 'urn:ietf:params:scim:schemas:core:2.0:User';

const DISPLAY_DESCRIPTION = 'A human-readable name, primarily used for display purposes.  READ-ONLY.';

/**
 * The `display` sub-attribute of the User's multi-valued attributes. RFC 7643 §8.7.1 describes it as
 * READ-ONLY yet declares it readWrite; the declared value is kept so /Schemas matches the RFC.
 */
function displaySubAttribute(): AttributeDefinition {
  return defineAttribute({ name: 'display', type: 'string', description: DISPLAY_DESCRIPTION });
}

function typeSubAttribute(description: string, canonicalValues?: string[]): AttributeDefinition {
  return defineAttribute({
    name: 'type',
    type: 'string',
    description,
    ...(canonicalValues ? { canonicalValues } : {}),
  });
}

function primarySubAttribute(description: string): AttributeDefinition {
  return defineAttribute({ name: 'primary', type: 'boolean', description });
}

const PRIMARY_DESCRIPTION =
  "A Boolean value indicating the 'primary' or preferred attribute value for this attribute.  The primary attribute value 'true' MUST appear no more than once.";

/** The RFC 7643 §8.7.1 User schema, attribute for attribute. The §3.1 common attributes are not part of it. */
export const USER_SCHEMA: SchemaDefinition = {
  id: USER_SCHEMA_ID,
  name: 'User',
  description: 'User Account',
  attributes: [
    defineAttribute({
      name: 'userName',
      type: 'string',
      description:
        "Unique identifier for the User, typically used by the user to directly authenticate to the service provider. Each User MUST include a non-empty userName value.  This identifier MUST be unique across the service provider's entire set of Users. REQUIRED.",
      required: true,
      uniqueness: 'server',
    }),
    defineAttribute({
      name: 'name',
      type: 'complex',
      description:
        "The components of the user's real name. Providers MAY return just the full name as a single string in the formatted sub-attribute, or they MAY return just the individual component attributes using the other sub-attributes, or they MAY return both.  If both variants are returned, they SHOULD be describing the same name, with the formatted name indicating how the component attributes should be combined.",
      subAttributes: [
        defineAttribute({
          name: 'formatted',
          type: 'string',
          description:
            "The full name, including all middle names, titles, and suffixes as appropriate, formatted for display (e.g., 'Ms. Barbara J Jensen, III').",
        }),
        defineAttribute({
          name: 'familyName',
          type: 'string',
          description:
            "The family name of the User, or last name in most Western languages (e.g., 'Jensen' given the full name 'Ms. Barbara J Jensen, III').",
        }),
        defineAttribute({
          name: 'givenName',
          type: 'string',
          description:
            "The given name of the User, or first name in most Western languages (e.g., 'Barbara' given the full name 'Ms. Barbara J Jensen, III').",
        }),
        defineAttribute({
          name: 'middleName',
          type: 'string',
          description:
            "The middle name(s) of the User (e.g., 'Jane' given the full name 'Ms. Barbara J Jensen, III').",
        }),
        defineAttribute({
          name: 'honorificPrefix',
          type: 'string',
          description:
            "The honorific prefix(es) of the User, or title in most Western languages (e.g., 'Ms.' given the full name 'Ms. Barbara J Jensen, III').",
        }),
        defineAttribute({
          name: 'honorificSuffix',
          type: 'string',
          description:
            "The honorific suffix(es) of the User, or suffix in most Western languages (e.g., 'III' given the full name 'Ms. Barbara J Jensen, III').",
        }),
      ],
    }),
    defineAttribute({
      name: 'displayName',
      type: 'string',
      description:
        'The name of the User, suitable for display to end-users.  The name SHOULD be the full name of the User being described, if known.',
    }),
    defineAttribute({
      name: 'nickName',
      type: 'string',
      description:
        "The casual way to address the user in real life, e.g., 'Bob' or 'Bobby' instead of 'Robert'.  This attribute SHOULD NOT be used to represent a User's username (e.g., 'bjensen' or 'mpepperidge').",
    }),
    defineAttribute({
      name: 'profileUrl',
      type: 'reference',
      referenceTypes: ['external'],
      description: "A fully qualified URL pointing to a page representing the User's online profile.",
    }),
    defineAttribute({
      name: 'title',
      type: 'string',
      description: 'The user\'s title, such as "Vice President."',
    }),
    defineAttribute({
      name: 'userType',
      type: 'string',
      description:
        "Used to identify the relationship between the organization and the user.  Typical values used might be 'Contractor', 'Employee', 'Intern', 'Temp', 'External', and 'Unknown', but any value may be used.",
    }),
    defineAttribute({
      name: 'preferredLanguage',
      type: 'string',
      description:
        "Indicates the User's preferred written or spoken language.  Generally used for selecting a localized user interface; e.g., 'en_US' specifies the language English and country US.",
    }),
    defineAttribute({
      name: 'locale',
      type: 'string',
      description:
        "Used to indicate the User's default location for purposes of localizing items such as currency, date time format, or numerical representations.",
    }),
    defineAttribute({
      name: 'timezone',
      type: 'string',
      description:
        "The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'.",
    }),
    defineAttribute({
      name: 'active',
      type: 'boolean',
      description: "A Boolean value indicating the User's administrative status.",
    }),
    defineAttribute({
      name: 'password',
      type: 'string',
      description:
        "The User's cleartext password.  This attribute is intended to be used as a means to specify an initial password when creating a new User or to reset an existing User's password.",
      mutability: 'writeOnly',
      returned: 'never',
    }),
    defineAttribute({
      name: 'emails',
      type: 'complex',
      multiValued: true,
      description:
        "Email addresses for the user.  The value SHOULD be canonicalized by the service provider, e.g., 'bjensen@example.com' instead of 'bjensen@EXAMPLE.COM'. Canonical type values of 'work', 'home', and 'other'.",
      subAttributes: [
        defineAttribute({
          name: 'value',
          type: 'string',
          description:
            "Email addresses for the user.  The value SHOULD be canonicalized by the service provider, e.g., 'bjensen@example.com' instead of 'bjensen@EXAMPLE.COM'. Canonical type values of 'work', 'home', and 'other'.",
        }),
        displaySubAttribute(),
        typeSubAttribute("A label indicating the attribute's function, e.g., 'work' or 'home'.", [
          'work',
          'home',
          'other',
        ]),
        primarySubAttribute(
          "A Boolean value indicating the 'primary' or preferred attribute value for this attribute, e.g., the preferred mailing address or primary email address.  The primary attribute value 'true' MUST appear no more than once.",
        ),
      ],
    }),
    defineAttribute({
      name: 'phoneNumbers',
      type: 'complex',
      multiValued: true,
      description:
        "Phone numbers for the User.  The value SHOULD be canonicalized by the service provider according to the format specified in RFC 3966, e.g., 'tel:+1-201-555-0123'. Canonical type values of 'work', 'home', 'mobile', 'fax', 'pager', and 'other'.",
      subAttributes: [
        defineAttribute({ name: 'value', type: 'string', description: 'Phone number of the User.' }),
        displaySubAttribute(),
        typeSubAttribute("A label indicating the attribute's function, e.g., 'work', 'home', 'mobile'.", [
          'work',
          'home',
          'mobile',
          'fax',
          'pager',
          'other',
        ]),
        primarySubAttribute(
          "A Boolean value indicating the 'primary' or preferred attribute value for this attribute, e.g., the preferred phone number or primary phone number.  The primary attribute value 'true' MUST appear no more than once.",
        ),
      ],
    }),
    defineAttribute({
      name: 'ims',
      type: 'complex',
      multiValued: true,
      description: 'Instant messaging addresses for the User.',
      subAttributes: [
        defineAttribute({
          name: 'value',
          type: 'string',
          description: 'Instant messaging address for the User.',
        }),
        displaySubAttribute(),
        typeSubAttribute("A label indicating the attribute's function, e.g., 'aim', 'gtalk', 'xmpp'.", [
          'aim',
          'gtalk',
          'icq',
          'xmpp',
          'msn',
          'skype',
          'qq',
          'yahoo',
        ]),
        primarySubAttribute(
          "A Boolean value indicating the 'primary' or preferred attribute value for this attribute, e.g., the preferred messenger or primary messenger.  The primary attribute value 'true' MUST appear no more than once.",
        ),
      ],
    }),
    defineAttribute({
      name: 'photos',
      type: 'complex',
      multiValued: true,
      description: 'URLs of photos of the User.',
      subAttributes: [
        defineAttribute({
          name: 'value',
          type: 'reference',
          referenceTypes: ['external'],
          description: 'URL of a photo of the User.',
        }),
        displaySubAttribute(),
        typeSubAttribute("A label indicating the attribute's function, i.e., 'photo' or 'thumbnail'.", [
          'photo',
          'thumbnail',
        ]),
        primarySubAttribute(
          "A Boolean value indicating the 'primary' or preferred attribute value for this attribute, e.g., the preferred photo or thumbnail.  The primary attribute value 'true' MUST appear no more than once.",
        ),
      ],
    }),
    defineAttribute({
      name: 'addresses',
      type: 'complex',
      multiValued: true,
      description:
        "A physical mailing address for this User. Canonical type values of 'work', 'home', and 'other'.  This attribute is a complex type with the following sub-attributes.",
      subAttributes: [
        defineAttribute({
          name: 'formatted',
          type: 'string',
          description:
            'The full mailing address, formatted for display or use with a mailing label.  This attribute MAY contain newlines.',
        }),
        defineAttribute({
          name: 'streetAddress',
          type: 'string',
          description:
            'The full street address component, which may include house number, street name, P.O. box, and multi-line extended street address information.  This attribute MAY contain newlines.',
        }),
        defineAttribute({ name: 'locality', type: 'string', description: 'The city or locality component.' }),
        defineAttribute({ name: 'region', type: 'string', description: 'The state or region component.' }),
        defineAttribute({
          name: 'postalCode',
          type: 'string',
          description: 'The zip code or postal code component.',
        }),
        defineAttribute({ name: 'country', type: 'string', description: 'The country name component.' }),
        typeSubAttribute("A label indicating the attribute's function, e.g., 'work' or 'home'.", [
          'work',
          'home',
          'other',
        ]),
        // §8.7.1 omits `primary` here, but §2.4 gives every multi-valued attribute one and the §8.2
        // example sends `addresses[].primary`; without it, coercion could not repair "True" strings.
        primarySubAttribute(PRIMARY_DESCRIPTION),
      ],
    }),
    defineAttribute({
      name: 'groups',
      type: 'complex',
      multiValued: true,
      description:
        'A list of groups to which the user belongs, either through direct membership, through nested groups, or dynamically calculated.',
      mutability: 'readOnly',
      subAttributes: [
        defineAttribute({
          name: 'value',
          type: 'string',
          description: "The identifier of the User's group.",
          mutability: 'readOnly',
        }),
        defineAttribute({
          name: '$ref',
          type: 'reference',
          referenceTypes: ['User', 'Group'],
          description: "The URI of the corresponding 'Group' resource to which the user belongs.",
          mutability: 'readOnly',
        }),
        defineAttribute({
          name: 'display',
          type: 'string',
          description: DISPLAY_DESCRIPTION,
          mutability: 'readOnly',
        }),
        defineAttribute({
          name: 'type',
          type: 'string',
          description: "A label indicating the attribute's function, e.g., 'direct' or 'indirect'.",
          canonicalValues: ['direct', 'indirect'],
          mutability: 'readOnly',
        }),
      ],
    }),
    defineAttribute({
      name: 'entitlements',
      type: 'complex',
      multiValued: true,
      description: 'A list of entitlements for the User that represent a thing the User has.',
      subAttributes: [
        defineAttribute({ name: 'value', type: 'string', description: 'The value of an entitlement.' }),
        displaySubAttribute(),
        typeSubAttribute("A label indicating the attribute's function."),
        primarySubAttribute(PRIMARY_DESCRIPTION),
      ],
    }),
    defineAttribute({
      name: 'roles',
      type: 'complex',
      multiValued: true,
      description:
        "A list of roles for the User that collectively represent who the User is, e.g., 'Student', 'Faculty'.",
      subAttributes: [
        defineAttribute({ name: 'value', type: 'string', description: 'The value of a role.' }),
        displaySubAttribute(),
        typeSubAttribute("A label indicating the attribute's function.", []),
        primarySubAttribute(PRIMARY_DESCRIPTION),
      ],
    }),
    defineAttribute({
      name: 'x509Certificates',
      type: 'complex',
      multiValued: true,
      description: 'A list of certificates issued to the User.',
      subAttributes: [
        defineAttribute({ name: 'value', type: 'binary', description: 'The value of an X.509 certificate.' }),
        displaySubAttribute(),
        typeSubAttribute("A label indicating the attribute's function.", []),
        primarySubAttribute(PRIMARY_DESCRIPTION),
      ],
    }),
  ],
};
