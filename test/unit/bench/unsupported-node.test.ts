import { describe, expect, it } from 'vitest';
import { unsupportedNode } from '../../../bench/paths.js';
import manifest from '../../../package.json' with { type: 'json' };

describe('the bench names a Node the package does not support', () => {
  it('accepts the versions at and above engines.node', () => {
    for (const version of ['v22.12.0', 'v22.23.3', 'v23.0.0', 'v24.21.0', 'v26.1.0']) {
      expect(unsupportedNode(version, '>=22.12'), version).toBeUndefined();
    }
  });

  it('names the versions below it, and how to measure another', () => {
    for (const version of ['v20.20.2', 'v22.11.0', 'v18.0.0']) {
      expect(unsupportedNode(version, '>=22.12')).toBe(
        `node ${version} is outside what scim-sidecar supports (engines: >=22.12): pass --node <path> to measure a supported one`,
      );
    }
  });

  it('says nothing when the range or the version does not parse', () => {
    expect(unsupportedNode('v20.20.2', undefined)).toBeUndefined();
    expect(unsupportedNode('v20.20.2', '^22 || ^24')).toBeUndefined();
    expect(unsupportedNode('20', '>=22.12')).toBeUndefined();
  });

  it("reads the package's own range in the form it handles", () => {
    expect(manifest.engines.node).toMatch(/^>=\d+\.\d+$/);
    expect(unsupportedNode('v20.20.2', manifest.engines.node)).toBeDefined();
  });
});
