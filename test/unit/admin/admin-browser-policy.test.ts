import { describe, expect, it } from 'vitest';
import { browserSuitePolicy } from '../../helpers/admin-browser-policy.js';

describe('the admin console browser suite without Chromium', () => {
  it('runs where Chromium is installed', () => {
    expect(browserSuitePolicy({ installed: true, probe: 'Chromium 156', env: {} })).toEqual({ mode: 'run' });
  });

  it('is skipped with one line naming what to install', () => {
    const policy = browserSuitePolicy({ installed: false, probe: 'spawnSync chromium ENOENT', env: {} });
    expect(policy.mode).toBe('skip');
    expect(policy.mode !== 'run' && policy.message).toMatch(/apt-get install chromium.*REQUIRE_BROWSER=1/s);
    expect(policy.mode !== 'run' && policy.message.includes('\n')).toBe(false);
  });

  it('fails instead under REQUIRE_BROWSER=1, as in CI', () => {
    const policy = browserSuitePolicy({ installed: false, probe: 'ENOENT', env: { REQUIRE_BROWSER: '1' } });
    expect(policy.mode).toBe('fail');
  });
});
