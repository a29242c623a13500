/**
 * Attribute definitions in the shape of RFC 7643 §7 ("Schema Definition"). The same objects
 * drive filter case rules, PATCH semantics, value coercion and the /Schemas discovery endpoint.
 */

export type AttributeType =
  | 'string'
  | 'boolean'
  | 'decimal'
  | 'integer'
  | 'dateTime'
  | 'reference'
  | 'complex'
  | 'binary';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

export interface AttributeDefinition {
  name: string;
  type: AttributeType;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: Returned;
  uniqueness: Uniqueness;
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: AttributeDefinition[];
}

export interface SchemaDefinition {
  id: string;
  name: string;
  description: string;
  attributes: AttributeDefinition[];
}

/** A resource type's core schema plus its extensions (RFC 7643 §6). */
export interface ResourceSchema {
  resourceType: string;
  core: SchemaDefinition;
  extensions: SchemaDefinition[];
}

/** A SCIM resource as JSON: attribute names as sent, values untyped until checked. */
export type ScimResource = Record<string, unknown>;
