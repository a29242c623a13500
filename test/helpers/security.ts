/**
 * Helpers for the security tests: a sidecar whose server settings can be changed and whose logs
 * (debug log and audit trail) are captured in memory; a local JWKS server that signs tokens
 * with keys it generates; self-signed certificates; a fake app that records what it receives;
 * raw HTTP requests whose paths are sent exactly as written (fetch would normalise them).
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { pino } from 'pino';
import { buildApp } from '../../src/app.js';
import type {
  DeploymentConfig,
  InboundAuthConfig,
  JwtAuthConfig,
} from '../../src/config/deployment-config.js';
import { type DemoApp, startDemoApp } from '../../src/demo/demo-app.js';
import { MemoryIdMapStore } from '../../src/idmap/memory-store.js';
import { loadMapping } from '../../src/mapping/load-mapping.js';
import { auditLoggerOptions } from '../../src/ops/audit.js';
import { createLogger, type LogLevel } from '../../src/ops/logger.js';
import { DEMO_MAPPING_FILE, deploymentConfig, UPSTREAM_API_KEY } from './sidecar.js';

// ---------------------------------------------------------------------------------------------
// Captured logs
// ---------------------------------------------------------------------------------------------

/** A stream pino writes to; every line is kept, as written and parsed. */
export class LogCapture {
  readonly lines: string[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer | string, _encoding, callback) => {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') this.lines.push(line);
      callback();
    },
  });

  records(): Array<Record<string, unknown>> {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  clear(): void {
    this.lines.length = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// A sidecar with security settings
// ---------------------------------------------------------------------------------------------

export interface SecureSidecarOptions {
  auth?: InboundAuthConfig;
  /** Merged into the server settings (tls, allowList, trustedProxies, authThrottle…). */
  server?: Partial<DeploymentConfig['server']>;
  /** The app; default: the bundled demo app with {@link UPSTREAM_API_KEY}. */
  upstreamUrl?: string;
  upstreamAuth?: DeploymentConfig['upstream']['auth'];
  /** Level of the captured debug log; default silent. */
  logLevel?: LogLevel;
  /** The passthrough settings; absent: the defaults. */
  passthrough?: DeploymentConfig['passthrough'];
  /** Listen on 127.0.0.1, port 0 (needed for raw HTTP and TLS). */
  listen?: boolean;
  /** Leave server.publicUrl unset, so URLs follow the request (scheme and host). */
  noPublicUrl?: boolean;
}

export interface SecureSidecar {
  app: FastifyInstance;
  config: DeploymentConfig;
  demo: DemoApp | undefined;
  logs: LogCapture;
  audit: LogCapture;
  /** `http(s)://127.0.0.1:<port>` when listening. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startSecureSidecar(options: SecureSidecarOptions = {}): Promise<SecureSidecar> {
  const demo = options.upstreamUrl ? undefined : await startDemoApp({ apiKey: UPSTREAM_API_KEY });
  const upstream = options.upstreamUrl ?? (demo as DemoApp).url;
  const config = deploymentConfig(upstream, DEMO_MAPPING_FILE, {
    ...(options.auth ? { auth: options.auth } : {}),
    ...(options.upstreamAuth ? { upstreamAuth: options.upstreamAuth } : {}),
  });
  Object.assign(config.server, options.server);
  if (options.noPublicUrl) delete config.server.publicUrl;
  if (options.passthrough) config.passthrough = options.passthrough;
  config.logging.level = options.logLevel ?? 'silent';
  const logs = new LogCapture();
  const audit = new LogCapture();
  let app: FastifyInstance | undefined;
  try {
    app = await buildApp(config, loadMapping(DEMO_MAPPING_FILE), {
      idMapStore: new MemoryIdMapStore(),
      logger: createLogger(config.logging.level, logs.stream),
      auditLogger: pino(auditLoggerOptions(), audit.stream),
    });
    let url = '';
    let port = 0;
    if (options.listen) {
      await app.listen({ host: '127.0.0.1', port: 0 });
      port = (app.server.address() as AddressInfo).port;
      url = `${config.server.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    } else {
      await app.ready();
    }
    const ready = app;
    return {
      app: ready,
      config,
      demo,
      logs,
      audit,
      url,
      port,
      async close() {
        await ready.close();
        await demo?.close();
      },
    };
  } catch (error) {
    await app?.close();
    await demo?.close();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP
// ---------------------------------------------------------------------------------------------

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP/1.1 request whose path goes on the wire byte for byte. */
export function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

// ---------------------------------------------------------------------------------------------
// A fake app that records what reaches it
// ---------------------------------------------------------------------------------------------

export interface ReceivedRequest {
  method: string;
  /** The request target exactly as received. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RecordingApp {
  url: string;
  received: ReceivedRequest[];
  /** Extra headers every answer carries (to test what the sidecar passes back). */
  responseHeaders: Record<string, string>;
  close(): Promise<void>;
}

/** A scripted answer; undefined: the default 200 echoing the path. */
export type Responder = (request: ReceivedRequest) => { status: number; json: unknown } | undefined;

export async function startRecordingApp(respond?: Responder): Promise<RecordingApp> {
  const received: ReceivedRequest[] = [];
  const responseHeaders: Record<string, string> = {};
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      received.push(request);
      const answer = respond?.(request) ?? { status: 200, json: { app: 'recording', path: req.url } };
      for (const [name, value] of Object.entries(responseHeaders)) res.setHeader(name, value);
      res.statusCode = answer.status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answer.json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    responseHeaders,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// A local JWKS server and token issuer
// ---------------------------------------------------------------------------------------------

export const JWT_ISSUER = 'https://login.microsoftonline.com/00000000-0000-4000-8000-000000000001/v2.0';
export const JWT_AUDIENCE = 'api://scim-sidecar-tests';
/** The Entra application (client) id of the provisioning service in the tests. */
export const JWT_CLIENT_ID = 'c5e2f3a4-0000-4000-8000-00000000e17a';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

/** Serves `/keys` (a JWKS) on 127.0.0.1, port 0, and signs tokens with its keys. */
export class JwksServer {
  /** JWKS requests served. */
  fetches = 0;
  /** When false, /keys answers 503 (an outage of the identity provider). */
  available = true;
  private readonly published: SigningKey[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<JwksServer> {
    let self: JwksServer | undefined;
    const server = createServer((req, res) => {
      if (!self || req.url !== '/keys') {
        res.statusCode = 404;
        res.end();
        return;
      }
      self.fetches += 1;
      if (!self.available) {
        res.statusCode = 503;
        res.end();
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: self.published.map((k) => k.jwk) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new JwksServer(server, `http://127.0.0.1:${port}/keys`);
    return self;
  }

  /** A new RS256 key pair; published in the JWKS unless `publish` is false. */
  async newKey(kid: string, publish = true): Promise<SigningKey> {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    const key = { kid, privateKey, jwk };
    if (publish) this.published.push(key);
    return key;
  }

  /** The `auth.jwt` settings that trust this server. */
  config(overrides: Partial<JwtAuthConfig> = {}): JwtAuthConfig {
    return {
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      jwksUri: this.url,
      algorithms: ['RS256'],
      clockToleranceSec: 5,
      ...overrides,
    };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

export interface TokenOptions {
  issuer?: string;
  audience?: string | string[];
  /** Seconds from now; negative: already expired. Null: no exp claim. */
  expiresIn?: number | null;
  /** Seconds from now for nbf. */
  notBefore?: number;
  claims?: JWTPayload;
  kid?: string;
}

/** An Entra-like app-only access token signed with `key`. */
export async function signToken(key: SigningKey, options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = {
    appid: JWT_CLIENT_ID,
    azp: JWT_CLIENT_ID,
    tid: '00000000-0000-4000-8000-000000000001',
    oid: '6a1b2c3d-0000-4000-8000-0000000000aa',
    roles: ['Provisioning.Write'],
    ...options.claims,
  };
  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? key.kid, typ: 'JWT' })
    .setIssuedAt(now - 60)
    .setIssuer(options.issuer ?? JWT_ISSUER)
    .setAudience(options.audience ?? JWT_AUDIENCE);
  if (options.expiresIn !== null) jwt.setExpirationTime(now + (options.expiresIn ?? 3600));
  if (options.notBefore !== undefined) jwt.setNotBefore(now + options.notBefore);
  return jwt.sign(key.privateKey);
}

// ---------------------------------------------------------------------------------------------
// Self-signed certificates
// ---------------------------------------------------------------------------------------------

export interface CertificateFiles {
  certFile: string;
  keyFile: string;
  certPem: string;
}

/** A temporary directory removed by `cleanup`. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A self-signed P-256 certificate for 127.0.0.1 written as `<name>.crt` / `<name>.key` in `dir`. */
export function selfSignedCertificate(
  dir: string,
  name = 'server',
  commonName = '127.0.0.1',
): CertificateFiles {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'pipe' },
  );
  return { certFile, keyFile, certPem: readFileSync(certFile, 'utf8') };
}
