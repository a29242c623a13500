import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // One line when the Redis suites are skipped for want of redis-server.
          globalSetup: ['test/helpers/redis-notice.ts'],
        },
      },
      // The built CLI, npm start and vitest itself as child processes, as a user starts them.
      {
        extends: true,
        test: {
          name: 'process',
          include: ['test/process/**/*.test.ts'],
          globalSetup: ['test/process/build-dist.ts'],
        },
      },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], fileParallelism: false } },
      // The admin console in headless Chromium; skipped (one line) where Chromium is missing.
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['test/helpers/admin-browser-notice.ts'],
          testTimeout: 120_000,
        },
      },
    ],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
