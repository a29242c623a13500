import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { DeploymentConfig } from '../../src/config/deployment-config.js';
import { loadConfig } from '../../src/config/load-config.js';
import { loadMapping } from '../../src/mapping/load-mapping.js';
import { hashToken } from '../../src/security/credentials.js';
import type { RedmineInstance } from './redmine-server.js';

export const EXAMPLE_CONFIG = fileURLToPath(new URL('../../examples/redmine/config.yaml', import.meta.url));

export const SCHEMA = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  enterprise: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
} as const;

export type ScimObject = Record<string, unknown>;

/** Who is calling: the adapter answers some requests the way each IdP expects. */
export interface ScimClient {
  userAgent: string;
}

/** Only Okta's User-Agent changes an answer (PATCH returns the resource); any other stands for Entra. */
export const ENTRA: ScimClient = { userAgent: 'scim-sidecar-e2e (Microsoft Entra requests)' };
export const OKTA: ScimClient = { userAgent: 'Okta SCIM Client 1.0.0' };

export interface ScimAnswer {
  status: number;
  /** The parsed JSON body; an empty object for 204. */
  body: ScimObject;
}

/** scim-sidecar listening on 127.0.0.1 (a free port), built from an example config as deployed. */
export interface Sidecar {
  config: DeploymentConfig;
  baseUrl: string;
  request(method: string, path: string, body?: unknown, client?: ScimClient): Promise<ScimAnswer>;
  close(): Promise<void>;
}

export interface SidecarOptions {
  redmine: RedmineInstance;
  dataDir: string;
  /** A mapping other than the config's default, relative to the config file. */
  mapping?: string;
}

/**
 * Loads the example config with an environment made only of what it documents (so a variable it
 * forgets to read fails here), builds the app in-process and listens on a free port. The token
 * exists only in memory; the config sees its hash.
 */
export async function startSidecar(options: SidecarOptions): Promise<Sidecar> {
  return startSidecarFrom(
    EXAMPLE_CONFIG,
    {
      REDMINE_URL: options.redmine.url,
      REDMINE_API_KEY: options.redmine.apiKey,
      ...(options.mapping ? { REDMINE_MAPPING: options.mapping } : {}),
    },
    options.dataDir,
  );
}

/**
 * scim-sidecar built from an example config (`examples/<app>/config.yaml`), with the app's
 * variables given and the rest of the environment made only of what the example documents.
 */
export async function startSidecarFrom(
  configFile: string,
  appEnv: NodeJS.ProcessEnv,
  dataDir: string,
): Promise<Sidecar> {
  const token = randomBytes(32).toString('base64url');
  const env: NodeJS.ProcessEnv = {
    ...appEnv,
    SCIM_TOKEN_HASH: hashToken(token),
    SCIM_SIDECAR_DATA_DIR: dataDir,
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'silent',
    // Port 0: the system picks a free one, read back from listen().
    PORT: '0',
  };
  const config = loadConfig(configFile, env);
  const app: FastifyInstance = await buildApp(config, loadMapping(config.mapping));
  const address = await app.listen({ host: config.server.host, port: config.server.port });
  const baseUrl = `${address}${config.server.basePath}`;
  return {
    config,
    baseUrl,
    async request(method, path, body, client = ENTRA) {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          'User-Agent': client.userAgent,
          Authorization: `Bearer ${token}`,
          Accept: 'application/scim+json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/scim+json; charset=utf-8' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      const parsed: unknown = text.trim() === '' ? {} : JSON.parse(text);
      return { status: response.status, body: parsed as ScimObject };
    },
    close: () => app.close(),
  };
}

/** RFC 7644 §3.5.2 PatchOp request body. */
export function patchOp(...operations: ScimObject[]): ScimObject {
  return { schemas: [SCHEMA.patchOp], Operations: operations };
}

/** The `id` of a SCIM resource in an answer, failing the test when it has none. */
export function idOf(answer: ScimAnswer): string {
  const id = answer.body.id;
  if (typeof id !== 'string' || id === '') {
    throw new Error(`expected a resource with an id, got ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return id;
}

/** The Resources of a ListResponse answer. */
export function resourcesOf(answer: ScimAnswer): ScimObject[] {
  const resources = answer.body.Resources;
  if (answer.status !== 200 || !Array.isArray(resources)) {
    throw new Error(`expected a ListResponse, got ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return resources as ScimObject[];
}

/** `filter=...` query string for a SCIM list. */
export function filterQuery(filter: string): string {
  return `?filter=${encodeURIComponent(filter)}`;
}

/** Fails with the answer's body in the message, so a failure shows what the adapter said. */
export function expectStatus(answer: ScimAnswer, ...statuses: number[]): void {
  if (!statuses.includes(answer.status)) {
    throw new Error(
      `expected HTTP ${statuses.join(' or ')}, got ${answer.status}: ${JSON.stringify(answer.body)}`,
    );
  }
}
