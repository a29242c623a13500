import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEMO_APP_DEFAULTS } from '../../../src/cli/demo-app.js';
import { loadConfig } from '../../../src/config/load-config.js';

const EXAMPLE = fileURLToPath(new URL('../../../config.example.yaml', import.meta.url));
const SECRETS = {
  SCIM_TOKEN_HASH: `sha256:${'a'.repeat(64)}`,
  APP_API_KEY: 'example-key',
};

describe('config.example.yaml', () => {
  it('listens on 127.0.0.1:8080 when neither HOST nor PORT is set', () => {
    const { server } = loadConfig(EXAMPLE, SECRETS);
    expect({ host: server.host, port: server.port }).toEqual({ host: '127.0.0.1', port: 8080 });
  });

  it('takes HOST and PORT from the environment, as the container image sets them', () => {
    const { server } = loadConfig(EXAMPLE, { ...SECRETS, HOST: '0.0.0.0', PORT: '9090' });
    expect({ host: server.host, port: server.port }).toEqual({ host: '0.0.0.0', port: 9090 });
  });

  it('talks to the app at 127.0.0.1:3000 (where `scim-sidecar demo-app` listens) unless APP_URL says otherwise', () => {
    const { host, port } = DEMO_APP_DEFAULTS;
    expect(loadConfig(EXAMPLE, SECRETS).upstream.baseUrl).toBe(`http://${host}:${port}`);
    expect(loadConfig(EXAMPLE, { ...SECRETS, APP_URL: 'http://app:8000' }).upstream.baseUrl).toBe(
      'http://app:8000',
    );
  });
});
