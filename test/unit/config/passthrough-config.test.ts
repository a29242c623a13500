import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig } from '../../../src/config/load-config.js';

const FILE = resolve('/virtual/deploy/config.yaml');
const HASH = 'sha256:75c5c10f256c75b650c6ffc2e83c6588af02766efd2de28f4de34547006e8d1a';

const text = (extra: string[]) =>
  [
    'auth:',
    '  bearer:',
    '    tokens:',
    `      - hash: "${HASH}"`,
    'upstream:',
    '  baseUrl: http://127.0.0.1:3000',
    'mapping: ./app.yaml',
    ...extra,
  ].join('\n');

describe('passthrough settings in config.yaml', () => {
  it('default to forwarding headers set by the sidecar and no body limit of its own', () => {
    expect(loadConfig(FILE, {}, text([])).passthrough).toEqual({ forwardedHeaders: 'set' });
  });

  it('take a body limit and the strip mode', () => {
    const config = loadConfig(
      FILE,
      {},
      text(['passthrough:', '  bodyLimit: 4096', '  forwardedHeaders: strip']),
    );
    expect(config.passthrough).toEqual({ bodyLimit: 4096, forwardedHeaders: 'strip' });
  });

  it('refuse an unknown mode, naming the setting and its line', () => {
    try {
      loadConfig(FILE, {}, text(['passthrough:', '  forwardedHeaders: keep']));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues).toMatchObject([
        { path: 'passthrough.forwardedHeaders', line: 9 },
      ]);
    }
  });
});
