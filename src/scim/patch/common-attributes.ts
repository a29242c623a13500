import { findDefinition } from '../attributes.js';
import type { AttributeDefinition } from '../schema-types.js';

function common(
  name: string,
  type: AttributeDefinition['type'],
  mutability: AttributeDefinition['mutability'],
): AttributeDefinition {
  return {
    name,
    type,
    multiValued: false,
    description: `RFC 7643 §3.1 common attribute "${name}"`,
    required: false,
    caseExact: true,
    mutability,
    returned: name === 'id' ? 'always' : 'default',
    uniqueness: name === 'id' ? 'server' : 'none',
    ...(type === 'complex' ? { subAttributes: [] } : {}),
  };
}

/**
 * RFC 7643 §3.1: `id`, `externalId` and `meta` belong to every resource but are usually not
 * listed in the core schema's attributes; PATCH still has to honour their mutability.
 */
const COMMON_ATTRIBUTES: AttributeDefinition[] = [
  common('id', 'string', 'readOnly'),
  common('externalId', 'string', 'readWrite'),
  common('meta', 'complex', 'readOnly'),
];

/** The definition of a common attribute (`id`, `externalId`, `meta`), matched case-insensitively. */
export function commonAttribute(name: string): AttributeDefinition | undefined {
  return findDefinition(COMMON_ATTRIBUTES, name);
}
