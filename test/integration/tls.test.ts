import { X509Certificate } from 'node:crypto';
import { copyFileSync, renameSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { connect, type SecureVersion } from 'node:tls';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CertificateFiles,
  type SecureSidecar,
  selfSignedCertificate,
  startSecureSidecar,
  tempDir,
} from '../helpers/security.js';
import { SCIM_TOKEN } from '../helpers/sidecar.js';

let dir: string;
let cleanup: () => void;
let first: CertificateFiles;
let second: CertificateFiles;

beforeAll(() => {
  ({ dir, cleanup } = tempDir('scim-tls-'));
  first = selfSignedCertificate(dir, 'first');
  second = selfSignedCertificate(dir, 'second');
});

afterAll(() => cleanup());

/** The SHA-256 fingerprint of the certificate the server presents on a new connection. */
function servedFingerprint(
  port: number,
  options: { minVersion?: SecureVersion; maxVersion?: SecureVersion } = {},
) {
  return new Promise<string>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options }, () => {
      const fingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
      socket.end();
      resolve(fingerprint);
    });
    socket.on('error', reject);
  });
}

const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256;

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not met in time');
}

describe('serving HTTPS', () => {
  let sc: SecureSidecar;
  let live: CertificateFiles;
  const agents: Agent[] = [];
  const trusting = (pem: string) => {
    const agent = new Agent({ connect: { ca: pem } });
    agents.push(agent);
    return agent;
  };

  beforeAll(async () => {
    // The served files are copies, so the test can replace them.
    live = { certFile: join(dir, 'live.crt'), keyFile: join(dir, 'live.key'), certPem: first.certPem };
    copyFileSync(first.certFile, live.certFile);
    copyFileSync(first.keyFile, live.keyFile);
    sc = await startSecureSidecar({
      listen: true,
      noPublicUrl: true,
      logLevel: 'info',
      server: { tls: { certFile: live.certFile, keyFile: live.keyFile, minVersion: 'TLSv1.2' } },
    });
  });

  afterAll(async () => {
    await sc.close();
    await Promise.all(agents.map((a) => a.close()));
  });

  it('answers SCIM over HTTPS to a client that trusts the certificate', async () => {
    expect(sc.url.startsWith('https://127.0.0.1:')).toBe(true);
    const res = await request(`${sc.url}/scim/v2/Users?count=1`, {
      dispatcher: trusting(first.certPem),
      headers: { authorization: `Bearer ${SCIM_TOKEN}` },
    });
    expect(res.statusCode).toBe(200);
    const body = (await res.body.json()) as { schemas: string[]; Resources: unknown[] };
    expect(body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
  });

  it('puts https in meta.location when no publicUrl is set', async () => {
    const res = await request(`${sc.url}/scim/v2/ServiceProviderConfig`, {
      dispatcher: trusting(first.certPem),
      headers: { authorization: `Bearer ${SCIM_TOKEN}` },
    });
    const body = (await res.body.json()) as { meta: { location: string } };
    expect(body.meta.location).toBe(`${sc.url}/scim/v2/ServiceProviderConfig`);
  });

  it('is refused by a client that does not trust the certificate', async () => {
    await expect(request(`${sc.url}/healthz`, { dispatcher: trusting(second.certPem) })).rejects.toThrow();
  });

  it('does not speak plain HTTP on the TLS port', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port: sc.port, path: '/healthz' }, (res) => {
        resolve(`answered ${res.statusCode}`);
        res.resume();
      });
      req.on('error', () => resolve('refused'));
      req.end();
    });
    expect(outcome).not.toBe('answered 200');
  });

  it.each<SecureVersion>(['TLSv1', 'TLSv1.1'])('refuses a %s handshake', async (version) => {
    // SECLEVEL=0 lets this client offer the old protocol, so the refusal is the server's.
    await expect(
      new Promise((resolve, reject) => {
        const socket = connect(
          {
            host: '127.0.0.1',
            port: sc.port,
            rejectUnauthorized: false,
            minVersion: version,
            maxVersion: version,
            ciphers: 'DEFAULT@SECLEVEL=0',
          },
          () => {
            socket.end();
            resolve(socket.getProtocol());
          },
        );
        socket.on('error', reject);
      }),
    ).rejects.toThrow();
  });

  it.each<SecureVersion>(['TLSv1.2', 'TLSv1.3'])('accepts a %s handshake', async (version) => {
    const fingerprint = await servedFingerprint(sc.port, { minVersion: version, maxVersion: version });
    expect(fingerprint).toBe(fingerprintOf(live.certPem));
  });

  it('serves a renewed certificate without a restart, as soon as the files change', async () => {
    expect(await servedFingerprint(sc.port)).toBe(fingerprintOf(first.certPem));
    // The way renewal tools do it: write next to the target, then rename into place.
    copyFileSync(second.keyFile, `${live.keyFile}.tmp`);
    copyFileSync(second.certFile, `${live.certFile}.tmp`);
    renameSync(`${live.keyFile}.tmp`, live.keyFile);
    renameSync(`${live.certFile}.tmp`, live.certFile);
    await waitFor(async () => (await servedFingerprint(sc.port)) === fingerprintOf(second.certPem));
    const res = await request(`${sc.url}/healthz`, { dispatcher: trusting(second.certPem) });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(sc.logs.lines.join('\n')).not.toContain('PRIVATE KEY');
  });

  it('keeps the current certificate when the new files do not form a pair', async () => {
    const before = await servedFingerprint(sc.port);
    // A certificate whose key is still the old one: setSecureContext refuses it.
    copyFileSync(first.certFile, live.certFile);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await servedFingerprint(sc.port)).toBe(before);
    expect((await request(`${sc.url}/healthz`, { dispatcher: trusting(second.certPem) })).statusCode).toBe(
      200,
    );
    // Completing the pair installs it.
    copyFileSync(first.keyFile, live.keyFile);
    await waitFor(async () => (await servedFingerprint(sc.port)) === fingerprintOf(first.certPem));
  });

  it('reloads on SIGHUP', async () => {
    expect(process.listenerCount('SIGHUP')).toBeGreaterThan(0);
    // Unchanged files: the watcher has nothing to do, so the reload logged is SIGHUP's.
    await new Promise((resolve) => setTimeout(resolve, 400));
    sc.logs.clear();
    process.emit('SIGHUP', 'SIGHUP');
    const messages = sc.logs.records().map((r) => r.msg);
    expect(messages).toEqual(['SIGHUP: reloading the TLS certificate', 'TLS certificate reloaded']);
    expect(await servedFingerprint(sc.port)).toBe(fingerprintOf(first.certPem));
  });
});

describe('TLS settings', () => {
  let sc: SecureSidecar | undefined;

  afterEach(async () => {
    await sc?.close();
    sc = undefined;
  });

  it('refuses TLS 1.2 when minVersion is TLSv1.3', async () => {
    sc = await startSecureSidecar({
      listen: true,
      server: { tls: { certFile: first.certFile, keyFile: first.keyFile, minVersion: 'TLSv1.3' } },
    });
    await expect(servedFingerprint(sc.port, { maxVersion: 'TLSv1.2' })).rejects.toThrow();
    expect(await servedFingerprint(sc.port, { minVersion: 'TLSv1.3' })).toBe(fingerprintOf(first.certPem));
  });

  it('stops watching the files and drops its SIGHUP handler when closed', async () => {
    const before = process.listenerCount('SIGHUP');
    sc = await startSecureSidecar({
      listen: true,
      server: { tls: { certFile: first.certFile, keyFile: first.keyFile, minVersion: 'TLSv1.2' } },
    });
    expect(process.listenerCount('SIGHUP')).toBe(before + 1);
    await sc.close();
    sc = undefined;
    expect(process.listenerCount('SIGHUP')).toBe(before);
  });

  it('fails to start when the certificate file is missing', async () => {
    await expect(
      startSecureSidecar({
        server: {
          tls: { certFile: join(dir, 'missing.crt'), keyFile: first.keyFile, minVersion: 'TLSv1.2' },
        },
      }),
    ).rejects.toThrow(/ENOENT/);
  });
});
