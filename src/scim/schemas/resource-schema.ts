import { formatAttrPath } from '../attr-path.js';
import type { AttributeDefinition, ResourceSchema, SchemaDefinition } from '../schema-types.js';
import { COMMON_ATTRIBUTES } from './common.js';
import { ENTERPRISE_USER_SCHEMA } from './enterprise-user.js';
import { GROUP_SCHEMA } from './group.js';
import { USER_SCHEMA } from './user.js';

export {
  type AuthenticationScheme,
  discoverySchema,
  type ResourceTypeOptions,
  type ResourceTypeRepresentation,
  resourceTypeRepresentation,
  type SchemaRepresentation,
  type ServiceProviderConfigOptions,
  type ServiceProviderConfigRepresentation,
  serviceProviderConfigRepresentation,
} from './discovery.js';

/**
 * Tells whether the mapping supports an attribute. Paths are in RFC 7644 §3.10 form: `userName`,
 * `name.givenName` for core attributes, URN-qualified for extension attributes
 * (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`).
 */
export type SupportedPredicate = (path: string) => boolean;

export interface ResourceSchemaOptions {
  /** When given, only the attributes it accepts are kept (to advertise what the mapping can store). */
  supported?: SupportedPredicate;
}

export interface UserResourceSchemaOptions extends ResourceSchemaOptions {
  /** Whether the User resource type carries the RFC 7643 §4.3 Enterprise User extension. */
  enterprise: boolean;
}

/** The User resource type (RFC 7643 §4.1, §4.3); the core schema includes the §3.1 common attributes. */
export function userResourceSchema(options: UserResourceSchemaOptions): ResourceSchema {
  return {
    resourceType: 'User',
    core: withCommonAttributes(trimSchema(USER_SCHEMA, options.supported, false)),
    extensions: options.enterprise ? [trimSchema(ENTERPRISE_USER_SCHEMA, options.supported, true)] : [],
  };
}

/** The Group resource type (RFC 7643 §4.2); the core schema includes the §3.1 common attributes. */
export function groupResourceSchema(options: ResourceSchemaOptions = {}): ResourceSchema {
  return {
    resourceType: 'Group',
    core: withCommonAttributes(trimSchema(GROUP_SCHEMA, options.supported, false)),
    extensions: [],
  };
}

/**
 * The common attributes are not offered to `supported`: `id` and `meta` come from the adapter itself,
 * and none of them is advertised in /Schemas anyway (RFC 7643 §3.1).
 */
function withCommonAttributes(def: SchemaDefinition): SchemaDefinition {
  return { ...def, attributes: [...COMMON_ATTRIBUTES, ...def.attributes] };
}

/**
 * Keeps the attributes `supported` accepts. A complex attribute stays when any of its sub-attributes is
 * supported (keeping just those), or when the attribute itself is supported and none of its
 * sub-attributes is named on its own (the whole value is mapped).
 */
function trimSchema(
  def: SchemaDefinition,
  supported: SupportedPredicate | undefined,
  qualify: boolean,
): SchemaDefinition {
  if (!supported) return def;
  const schema = qualify ? def.id : undefined;
  const attributes: AttributeDefinition[] = [];
  for (const attribute of def.attributes) {
    const kept = trimAttribute(attribute, supported, schema);
    if (kept) attributes.push(kept);
  }
  return { ...def, attributes };
}

function trimAttribute(
  attribute: AttributeDefinition,
  supported: SupportedPredicate,
  schema: string | undefined,
): AttributeDefinition | undefined {
  const own = supported(formatAttrPath({ schema, attribute: attribute.name }));
  if (!attribute.subAttributes) return own ? attribute : undefined;
  const subAttributes = attribute.subAttributes.filter((sub) =>
    supported(formatAttrPath({ schema, attribute: attribute.name, subAttribute: sub.name })),
  );
  if (subAttributes.length > 0) return { ...attribute, subAttributes };
  return own ? attribute : undefined;
}
