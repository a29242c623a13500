/** Global setup of the browser project: one line when the suite is skipped (or will fail) and why. */

import { browserSuitePolicy, probeChromium } from './admin-browser-policy.js';

export default function setup(): void {
  const policy = browserSuitePolicy({ ...probeChromium(), env: process.env });
  if (policy.mode !== 'run') console.warn(policy.message);
}
