import { describe, expect, it } from 'vitest';
import { isScimError } from '../../../src/scim/errors.js';
import { applyPatch, PATCH_OP_SCHEMA, parsePatchRequest } from '../../../src/scim/patch/index.js';
import type { ScimResource } from '../../../src/scim/schema-types.js';
import { applyCases } from './apply-cases.js';
import { groupSchema, USER_SCHEMA, userSchema } from './fixture-schema.js';

function patch(resource: ScimResource, operations: unknown[], schema = userSchema) {
  return applyPatch(
    resource,
    parsePatchRequest({ schemas: [PATCH_OP_SCHEMA], Operations: operations }),
    schema,
  );
}

function scimTypeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (isScimError(error)) return error.scimType;
    throw error;
  }
  return undefined;
}

describe('applyPatch', () => {
  it.each(applyCases)('$name', ({ schema, resource, operations, expected, changed, error }) => {
    const resourceSchema = schema === 'group' ? groupSchema : userSchema;
    const input = structuredClone(resource);
    if (error) {
      expect(scimTypeOf(() => patch(input, operations, resourceSchema))).toBe(error);
    } else {
      const result = patch(input, operations, resourceSchema);
      expect(result.resource).toStrictEqual(expected);
      expect(result.changed).toBe(changed ?? true);
    }
    expect(input).toStrictEqual(resource);
  });

  it('returns a copy that shares nothing with the input', () => {
    const resource = { schemas: [USER_SCHEMA], id: 'u-1', userName: 'a', name: { givenName: 'A' } };
    const result = patch(resource, [{ op: 'replace', path: 'displayName', value: 'A' }]);
    expect(result.resource.name).not.toBe(resource.name);
  });

  it('names the failing operation', () => {
    const resource = { schemas: [USER_SCHEMA], id: 'u-1', userName: 'a' };
    expect(() =>
      patch(resource, [
        { op: 'replace', path: 'displayName', value: 'A' },
        { op: 'replace', path: 'active', value: 'maybe' },
      ]),
    ).toThrow(/^Operations\[1\]: Attribute "active" must be a boolean/);
  });
});
