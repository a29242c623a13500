import { describe, expect, it } from 'vitest';
import { ScimError } from '../../../src/scim/errors.js';
import { checkFilterValues, parseFilter } from '../../../src/scim/filter/index.js';
import type { ResourceSchema } from '../../../src/scim/schema-types.js';
import { userSchema } from './fixture-schema.js';

/** The fixture User plus a multi-valued attribute with a dateTime sub-attribute, for value filters. */
const schema: ResourceSchema = {
  ...userSchema,
  core: {
    ...userSchema.core,
    attributes: [
      ...userSchema.core.attributes,
      {
        name: 'certificates',
        type: 'complex',
        multiValued: true,
        description: 'certificates',
        required: false,
        caseExact: false,
        mutability: 'readWrite',
        returned: 'default',
        uniqueness: 'none',
        subAttributes: [
          {
            name: 'expires',
            type: 'dateTime',
            multiValued: false,
            description: 'expires',
            required: false,
            caseExact: false,
            mutability: 'readWrite',
            returned: 'default',
            uniqueness: 'none',
          },
        ],
      },
    ],
  },
};

function errorOf(filter: string): ScimError {
  try {
    checkFilterValues(parseFilter(filter), schema);
  } catch (error) {
    if (error instanceof ScimError) return error;
    throw error;
  }
  throw new Error(`expected ${filter} to be refused`);
}

describe('checkFilterValues: dateTime attributes (RFC 7643 §2.3.5)', () => {
  it.each([
    ['meta.created gt "not-a-date"', 'meta.created'],
    ['meta.created eq "2024-13-45T99:00:00Z"', 'meta.created'],
    ['meta.lastModified lt "2011-05-13"', 'meta.lastModified'],
    ['META.Created ge 5', 'META.Created'],
    ['meta.created ne false', 'meta.created'],
    ['userName eq "a" or not (meta.created le "yesterday")', 'meta.created'],
    ['certificates[expires lt "soon"]', 'certificates[expires]'],
  ])('refuses %s with invalidFilter naming %s', (filter, named) => {
    const error = errorOf(filter);
    expect(error.status).toBe(400);
    expect(error.scimType).toBe('invalidFilter');
    expect(error.message).toContain(`'${named}'`);
    expect(error.message).toContain('dateTime');
  });

  it.each([
    'meta.created gt "2011-05-13T04:42:34Z"',
    'meta.created gt "2015-10-10T14:38:21.8617979-07:00"',
    'meta.lastModified le "2011-05-13T04:42:34"',
    'meta.created eq null',
    'meta.created ne null',
    // Substring operators read the timestamp as text.
    'meta.created sw "2011-05"',
    'meta.created pr',
    'certificates[expires gt "2030-01-01T00:00:00Z"]',
    // Attributes the schema does not define are compared leniently, as before.
    'unknownDate gt "whenever"',
    'userName gt "not-a-date"',
  ])('accepts %s', (filter) => {
    expect(() => checkFilterValues(parseFilter(filter), schema)).not.toThrow();
  });

  it('walks a long or-chain without recursion trouble', () => {
    const filter = Array.from({ length: 800 }, (_, i) => `a eq ${i}`).join(' or ');
    expect(() => checkFilterValues(parseFilter(`${filter} or meta.created gt "x"`), schema)).toThrow(
      /meta\.created/,
    );
  });
});
