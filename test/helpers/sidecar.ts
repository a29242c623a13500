/**
 * Builds a scim-sidecar in front of either the bundled demo app (a real legacy app on a real
 * port) or an undici MockAgent scripted by the test, and records every mapped call the sidecar
 * makes toward the app so tests can assert the exact upstream traffic.
 *
 * nock cannot see undici requests sent through an injected dispatcher, which is why the mapped
 * calls are observed here, at the dispatcher.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Agent, type Dispatcher, MockAgent } from 'undici';
import { buildApp } from '../../src/app.js';
import {
  DEFAULTS,
  type DeploymentConfig,
  type InboundAuthConfig,
  type UpstreamAuthConfig,
} from '../../src/config/deployment-config.js';
import { type DemoApp, startDemoApp } from '../../src/demo/demo-app.js';
import { MemoryIdMapStore } from '../../src/idmap/memory-store.js';
import type { IdMapStore } from '../../src/idmap/types.js';
import { loadMapping } from '../../src/mapping/load-mapping.js';
import { hashToken } from '../../src/security/credentials.js';
import type { ServiceLimits } from '../../src/service/service-deps.js';

/** The bearer token the IdP side of every test presents. */
export const SCIM_TOKEN = 'integration-scim-token-3b9f0c6e2d';
/** The key the sidecar presents to the app (`X-Api-Key`), never the IdP's token. */
export const UPSTREAM_API_KEY = 'integration-upstream-key-7a41e8';
/** `server.publicUrl`, so meta.location and Location headers are exact. */
export const PUBLIC_URL = 'https://sidecar.example.test';
export const BASE_PATH = DEFAULTS.basePath;
export const SCIM_BASE_URL = `${PUBLIC_URL}${BASE_PATH}`;
/** Origin of the app when it is an undici MockAgent. */
export const MOCK_ORIGIN = 'http://legacy.example.test';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

export const DEMO_MAPPING_FILE = fileURLToPath(new URL('../../mappings/demo.yaml', import.meta.url));

/** The text of mappings/demo.yaml, to derive small variants from (e.g. a smaller pageSize). */
export function demoMappingText(): string {
  return readFileSync(DEMO_MAPPING_FILE, 'utf8');
}

export interface SidecarOptions {
  /** Inbound credentials; defaults to one bearer token, {@link SCIM_TOKEN}. */
  auth?: InboundAuthConfig;
  /** Credentials toward the app; defaults to `X-Api-Key: UPSTREAM_API_KEY`. */
  upstreamAuth?: UpstreamAuthConfig;
  bodyLimit?: number;
  limits?: Partial<ServiceLimits>;
  timeoutMs?: number;
  /** Retries of a failed call to the app; defaults to the product default. */
  retries?: number;
  /** server.clientProfile; detection per request when left out. */
  clientProfile?: 'auto' | 'entra' | 'okta' | 'generic';
}

export function bearerAuth(token: string = SCIM_TOKEN, expiresAt?: Date): InboundAuthConfig {
  return {
    bearer: { tokens: [{ name: 'test', hash: hashToken(token), ...(expiresAt ? { expiresAt } : {}) }] },
  };
}

export function deploymentConfig(
  baseUrl: string,
  mappingFile: string,
  options: SidecarOptions = {},
): DeploymentConfig {
  return {
    file: '<inline>',
    server: {
      host: '127.0.0.1',
      port: 0,
      basePath: BASE_PATH,
      publicUrl: PUBLIC_URL,
      bodyLimit: options.bodyLimit ?? DEFAULTS.bodyLimit,
      trustProxy: false,
      requestDeadlineMs: DEFAULTS.requestDeadlineMs,
      // Off: many tests send refused requests from one address; the throttle's own tests turn it on.
      authThrottle: { ...DEFAULTS.authThrottle, maxFailures: 0 },
      ...(options.clientProfile ? { clientProfile: options.clientProfile } : {}),
    },
    auth: options.auth ?? bearerAuth(),
    upstream: {
      baseUrl,
      auth: options.upstreamAuth ?? { header: { name: 'X-Api-Key', value: UPSTREAM_API_KEY } },
      timeoutMs: options.timeoutMs ?? 5_000,
      concurrency: DEFAULTS.upstreamConcurrency,
      maxQueue: DEFAULTS.upstreamMaxQueue,
      retries: DEFAULTS.upstreamRetries,
    },
    mapping: mappingFile,
    idMap: { store: 'memory', path: '', cacheSize: DEFAULTS.idMapCacheSize },
    logging: { level: 'silent' },
  };
}

// ---------------------------------------------------------------------------------------------
// Upstream call recording
// ---------------------------------------------------------------------------------------------

/** One mapped call the sidecar made to the app, as it went on the wire. */
export interface UpstreamCall {
  method: string;
  /** The path without the query string, exactly as sent (still percent-encoded). */
  path: string;
  /** The raw query string without '?', '' when none. */
  search: string;
  /** Decoded query parameters, in order. */
  query: Array<[string, string]>;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  /** The parsed JSON body; the raw text when it is not JSON; undefined when there is none. */
  body: unknown;
}

type RawHeaders =
  | Record<string, string | string[] | number | undefined>
  | Iterable<[string, string]>
  | string[]
  | Headers
  | null
  | undefined;

function normalizeHeaders(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const headers = raw as RawHeaders;
  if (headers === null || headers === undefined) return out;
  if (headers instanceof Headers) {
    headers.forEach((value, name) => {
      out[name.toLowerCase()] = value;
    });
    return out;
  }
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) {
      out[String(headers[i]).toLowerCase()] = String(headers[i + 1]);
    }
    return out;
  }
  if (Symbol.iterator in headers) {
    for (const [name, value] of headers as Iterable<[string, string]>) out[name.toLowerCase()] = value;
    return out;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

function bodyText(raw: unknown): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (typeof raw === 'string') return raw;
  if (Buffer.isBuffer(raw)) return raw.toString('utf8');
  if (raw instanceof Uint8Array) return Buffer.from(raw).toString('utf8');
  return String(raw);
}

function parseBodyText(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Splits a dispatched path (`/a/b?x=1`) into the parts tests assert on. */
export function toUpstreamCall(
  method: string,
  fullPath: string,
  headers: unknown,
  body: unknown,
): UpstreamCall {
  const q = fullPath.indexOf('?');
  const path = q === -1 ? fullPath : fullPath.slice(0, q);
  const search = q === -1 ? '' : fullPath.slice(q + 1);
  return {
    method: method.toUpperCase(),
    path,
    search,
    query: [...new URLSearchParams(search)],
    headers: normalizeHeaders(headers),
    body: parseBodyText(bodyText(body)),
  };
}

/** A real undici Agent that records every request dispatched through it. */
function recordingAgent(calls: UpstreamCall[]): { dispatcher: Dispatcher; close: () => Promise<void> } {
  const agent = new Agent();
  const dispatcher = agent.compose((dispatch) => (options, handler) => {
    calls.push(toUpstreamCall(options.method, options.path, options.headers, options.body));
    return dispatch(options, handler);
  });
  return { dispatcher, close: () => agent.close() };
}

// ---------------------------------------------------------------------------------------------
// Talking SCIM to the sidecar
// ---------------------------------------------------------------------------------------------

export interface ScimRequestOptions {
  body?: unknown;
  /** Raw payload sent as is (malformed JSON and the like). */
  rawBody?: string;
  /** Bearer token; null sends no Authorization header. Defaults to {@link SCIM_TOKEN}. */
  token?: string | null;
  /** Replaces the Authorization header entirely (basic auth, odd schemes). */
  authorization?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface ScimResource {
  schemas: string[];
  id: string;
  externalId?: string;
  meta: { resourceType: string; created: string; lastModified: string; location: string; version: string };
  [attribute: string]: unknown;
}

export interface ListResponse {
  schemas: string[];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: ScimResource[];
}

export interface ScimErrorBody {
  schemas: string[];
  status: string;
  scimType?: string;
  detail: string;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  text: string;
  /** Parsed JSON, undefined when the body is not JSON. */
  json: unknown;
  resource(): ScimResource;
  list(): ListResponse;
  error(): ScimErrorBody;
  header(name: string): string | undefined;
}

export async function send(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS',
  url: string,
  options: ScimRequestOptions = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  else if (options.token !== null) headers.authorization = `Bearer ${options.token ?? SCIM_TOKEN}`;
  let payload: string | undefined;
  if (options.rawBody !== undefined) payload = options.rawBody;
  else if (options.body !== undefined) payload = JSON.stringify(options.body);
  if (payload !== undefined) headers['content-type'] = options.contentType ?? 'application/scim+json';
  const response = await app.inject({ method, url, headers, ...(payload !== undefined ? { payload } : {}) });
  let json: unknown;
  try {
    json = response.body === '' ? undefined : (JSON.parse(response.body) as unknown);
  } catch {
    json = undefined;
  }
  const result: HttpResult = {
    status: response.statusCode,
    headers: response.headers,
    text: response.body,
    json,
    resource: () => json as ScimResource,
    list: () => json as ListResponse,
    error: () => json as ScimErrorBody,
    header: (name) => {
      const value = response.headers[name.toLowerCase()];
      if (value === undefined) return undefined;
      return Array.isArray(value) ? value.join(', ') : String(value);
    },
  };
  return result;
}

/** A bound client: `scim('GET', '/Users?filter=...')` with paths relative to the SCIM base path. */
export type ScimClient = (
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  options?: ScimRequestOptions,
) => Promise<HttpResult>;

export interface Sidecar {
  app: FastifyInstance;
  idMap: MemoryIdMapStore;
  /** Every mapped call made to the app, in order. */
  calls: UpstreamCall[];
  scim: ScimClient;
  close(): Promise<void>;
}

function bindClient(app: FastifyInstance): ScimClient {
  return (method, path, options) => send(app, method, `${BASE_PATH}${path}`, options);
}

// ---------------------------------------------------------------------------------------------
// (a) In front of the real demo app
// ---------------------------------------------------------------------------------------------

export interface DemoSidecar extends Sidecar {
  demo: DemoApp;
}

export interface DemoSidecarOptions extends SidecarOptions {
  /** Mapping YAML; defaults to mappings/demo.yaml as shipped. */
  mappingText?: string;
  /** The id map store the sidecar uses, made around the memory store the helper exposes. */
  wrapStore?: (store: MemoryIdMapStore) => IdMapStore;
}

export async function startDemoSidecar(options: DemoSidecarOptions = {}): Promise<DemoSidecar> {
  const demo = await startDemoApp({ apiKey: UPSTREAM_API_KEY });
  const calls: UpstreamCall[] = [];
  const recorder = recordingAgent(calls);
  const idMap = new MemoryIdMapStore();
  try {
    const mapping = loadMapping(DEMO_MAPPING_FILE, options.mappingText);
    const app = await buildApp(deploymentConfig(demo.url, DEMO_MAPPING_FILE, options), mapping, {
      dispatcher: recorder.dispatcher,
      idMapStore: options.wrapStore ? options.wrapStore(idMap) : idMap,
      logger: pino({ level: 'silent' }),
      ...(options.limits ? { limits: options.limits } : {}),
    });
    await app.ready();
    return {
      app,
      demo,
      idMap,
      calls,
      scim: bindClient(app),
      async close() {
        await app.close();
        await recorder.close();
        await demo.close();
      },
    };
  } catch (error) {
    await recorder.close();
    await demo.close();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// (b) In front of an undici MockAgent
// ---------------------------------------------------------------------------------------------

/** What the fake app answers. */
export interface FakeReply {
  status: number;
  json?: unknown;
  /** A raw body (HTML pages, truncated JSON). */
  text?: string;
  headers?: Record<string, string>;
}

export type FakeResponder = FakeReply | ((call: UpstreamCall) => FakeReply);

interface FakeRoute {
  method: string;
  path: string | RegExp;
  responder: FakeResponder;
  remaining: number | undefined;
}

/**
 * A scripted app behind a MockAgent: routes are matched in the order they were declared (a route
 * with `times` is used up after that many calls); every call is recorded; a call no route
 * answers is recorded in `unmatched` and answered 500.
 */
export class FakeApp {
  readonly calls: UpstreamCall[] = [];
  readonly unmatched: UpstreamCall[] = [];
  private routes: FakeRoute[] = [];

  /** Answers `method path` (exact path without query, or a RegExp tested on it). */
  on(method: string, path: string | RegExp, responder: FakeResponder, times?: number): this {
    this.routes.push({ method: method.toUpperCase(), path, responder, remaining: times });
    return this;
  }

  once(method: string, path: string | RegExp, responder: FakeResponder): this {
    return this.on(method, path, responder, 1);
  }

  /** Forgets routes and recorded calls. */
  reset(): void {
    this.routes = [];
    this.calls.length = 0;
    this.unmatched.length = 0;
  }

  handle(call: UpstreamCall): FakeReply {
    this.calls.push(call);
    const route = this.routes.find(
      (r) =>
        r.method === call.method &&
        (typeof r.path === 'string' ? r.path === call.path : r.path.test(call.path)) &&
        (r.remaining === undefined || r.remaining > 0),
    );
    if (!route) {
      this.unmatched.push(call);
      return { status: 500, text: `no fake route for ${call.method} ${call.path}` };
    }
    if (route.remaining !== undefined) route.remaining -= 1;
    return typeof route.responder === 'function' ? route.responder(call) : route.responder;
  }
}

export interface MockSidecar extends Sidecar {
  agent: MockAgent;
  fake: FakeApp;
}

export async function startMockSidecar(
  mappingText: string,
  options: SidecarOptions = {},
): Promise<MockSidecar> {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const fake = new FakeApp();
  agent
    .get(MOCK_ORIGIN)
    .intercept({ path: () => true, method: () => true })
    .reply((request) => {
      const call = toUpstreamCall(request.method, request.path, request.headers, request.body);
      const reply = fake.handle(call);
      const headers: Record<string, string> = { ...reply.headers };
      let data = '';
      if (reply.json !== undefined) {
        data = JSON.stringify(reply.json);
        headers['content-type'] ??= 'application/json';
      } else if (reply.text !== undefined) {
        data = reply.text;
        headers['content-type'] ??= 'text/plain';
      }
      return { statusCode: reply.status, data, responseOptions: { headers } };
    })
    .persist();
  const idMap = new MemoryIdMapStore();
  // The mapping is given as text; the file name only labels configuration errors.
  const file = fileURLToPath(new URL('./inline-mapping.yaml', import.meta.url));
  const mapping = loadMapping(file, mappingText);
  const app = await buildApp(deploymentConfig(MOCK_ORIGIN, file, options), mapping, {
    dispatcher: agent,
    idMapStore: idMap,
    logger: pino({ level: 'silent' }),
    ...(options.limits ? { limits: options.limits } : {}),
  });
  await app.ready();
  return {
    app,
    agent,
    fake,
    idMap,
    calls: fake.calls,
    scim: bindClient(app),
    async close() {
      await app.close();
      await agent.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// SCIM bodies
// ---------------------------------------------------------------------------------------------

/** A PatchOp request body. */
export function patchOp(...operations: Array<Record<string, unknown>>): Record<string, unknown> {
  return { schemas: [PATCH_OP_SCHEMA], Operations: operations };
}

/** A user as Microsoft Entra ID sends it on create. */
export function entraUser(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const [local = userName] = userName.split('@');
  return {
    schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA],
    externalId: `ext-${local}`,
    userName,
    active: true,
    displayName: `Given ${local}`,
    name: { givenName: 'Given', familyName: local, formatted: `Given ${local}` },
    emails: [{ primary: true, type: 'work', value: userName }],
    ...extra,
  };
}

/**
 * Writes a config.yaml in `dir` for the CLI (`dry-run`, `check`): the shipped demo mapping, the
 * app at `baseUrl` with {@link UPSTREAM_API_KEY} (or `apiKey`), a throwaway SCIM token, an
 * in-memory id map. Returns its path.
 */
export function writeCliConfig(dir: string, baseUrl: string, apiKey: string = UPSTREAM_API_KEY): string {
  const path = join(dir, 'config.yaml');
  writeFileSync(
    path,
    [
      'auth:',
      '  bearer:',
      `    tokens: [{ name: t, hash: "${hashToken('x')}" }]`,
      'upstream:',
      `  baseUrl: ${baseUrl}`,
      '  auth:',
      `    header: { name: X-Api-Key, value: "${apiKey}" }`,
      `mapping: ${DEMO_MAPPING_FILE}`,
      'idMap: { store: memory }',
    ].join('\n'),
  );
  return path;
}
