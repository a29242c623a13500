/**
 * A scim-sidecar with the admin console on, in front of the bundled demo app: for the console's
 * HTTP tests (app.inject) and its browser suite (listening on 127.0.0.1, port 0).
 */

import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { WebhookSender } from '../../src/admin/notifier.js';
import { buildApp } from '../../src/app.js';
import type { AdminConfig, DeploymentConfig } from '../../src/config/deployment-config.js';
import { type DemoApp, startDemoApp } from '../../src/demo/demo-app.js';
import { MemoryIdMapStore } from '../../src/idmap/memory-store.js';
import { loadMapping } from '../../src/mapping/load-mapping.js';
import { hashPassword, hashToken } from '../../src/security/credentials.js';
import { DEMO_MAPPING_FILE, deploymentConfig, SCIM_TOKEN, UPSTREAM_API_KEY } from './sidecar.js';

/** The console token: its own, never the SCIM token. */
export const ADMIN_TOKEN = 'admin-console-token-5f1c9e27ab0d4c83';
export const ADMIN_USER = 'console-admin';
export const ADMIN_PASSWORD = 'console-password-93be1d';
export const ADMIN_PATH = '/admin';

/** The password hash is slow to make: once per process. */
let passwordHash: string | undefined;

export interface AdminSidecarOptions {
  admin?: Partial<AdminConfig>;
  level?: DeploymentConfig['logging']['level'];
  sendWebhook?: WebhookSender;
  publicUrl?: string | null;
  sampleIntervalMs?: number;
}

export interface AdminSidecar {
  app: FastifyInstance;
  demo: DemoApp;
  config: DeploymentConfig;
  close(): Promise<void>;
}

export function adminSection(overrides: Partial<AdminConfig> = {}): AdminConfig {
  passwordHash ??= hashPassword(ADMIN_PASSWORD);
  return {
    enabled: true,
    path: ADMIN_PATH,
    tokenHash: hashToken(ADMIN_TOKEN),
    basic: { username: ADMIN_USER, passwordHash },
    sessionMinutes: 60,
    activitySize: 100,
    ...overrides,
  };
}

export async function startAdminSidecar(options: AdminSidecarOptions = {}): Promise<AdminSidecar> {
  const demo = await startDemoApp({ apiKey: UPSTREAM_API_KEY });
  const base = deploymentConfig(demo.url, DEMO_MAPPING_FILE);
  const { publicUrl: _publicUrl, ...server } = base.server;
  const config: DeploymentConfig = {
    ...base,
    server:
      options.publicUrl === null
        ? server
        : { ...server, publicUrl: options.publicUrl ?? base.server.publicUrl ?? '' },
    logging: { level: options.level ?? 'silent' },
    admin: adminSection(options.admin),
  };
  try {
    const app = await buildApp(config, loadMapping(DEMO_MAPPING_FILE), {
      idMapStore: new MemoryIdMapStore(),
      logger: pino({ level: 'silent' }),
      auditLogger: null,
      ...(options.sendWebhook ? { sendWebhook: options.sendWebhook } : {}),
      ...(options.sampleIntervalMs ? { adminSampleIntervalMs: options.sampleIntervalMs } : {}),
    });
    await app.ready();
    return {
      app,
      demo,
      config,
      async close() {
        await app.close();
        await demo.close();
      },
    };
  } catch (error) {
    await demo.close();
    throw error;
  }
}

export { SCIM_TOKEN };
