import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/app.js';
import { dryRun } from '../../../src/cli/dry-run.js';
import { type DemoApp, startDemoApp } from '../../../src/demo/demo-app.js';
import { loadMapping } from '../../../src/mapping/load-mapping.js';
import { createLogger } from '../../../src/ops/logger.js';
import { LogCapture, type SecureSidecar, startSecureSidecar } from '../../helpers/security.js';
import {
  DEMO_MAPPING_FILE,
  demoMappingText,
  deploymentConfig,
  entraUser,
  SCIM_ERROR_SCHEMA,
  SCIM_TOKEN,
  startDemoSidecar,
  UPSTREAM_API_KEY,
  writeCliConfig,
} from '../../helpers/sidecar.js';

describe('dry-run and a password in upstream.baseUrl', () => {
  let demo: DemoApp;
  let dir: string;

  beforeAll(async () => {
    demo = await startDemoApp({ apiKey: UPSTREAM_API_KEY });
    dir = mkdtempSync(join(tmpdir(), 'scim-sidecar-edge-dry-run-'));
  });
  afterAll(async () => {
    await demo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the URL with the password redacted', async () => {
    const withPassword = demo.url.replace('http://', 'http://gateway-user:s3cret-in-the-url@');
    const config = writeCliConfig(dir, withPassword);
    const out = await dryRun(config, { method: 'POST', path: '/Users', body: entraUser('jdoe@contoso.com') });
    expect(out).not.toContain('s3cret-in-the-url');
    expect(out).toContain(
      `POST http://gateway-user:[redacted]@${demo.url.slice('http://'.length)}/api/accounts`,
    );
  });
});

describe('a mapping header filled from a SCIM value', () => {
  // The demo mapping, with the job title also sent as a header on create.
  const mappingText = demoMappingText().replace(
    /( {6}create:\n {8}method: POST\n {8}path: \/api\/accounts\n)/,
    "$1        headers: { X-Title: 'scim.title' }\n",
  );

  it('is refused with 400 when the value cannot be a header (CR/LF, beyond Latin-1), before any call', async () => {
    expect(mappingText).toContain('X-Title');
    const sc = await startDemoSidecar({ mappingText });
    try {
      for (const title of ['Engineer\r\nX-Injected: 1', 'Engineer\n', '技術者', 'Engineer \u{1F680}']) {
        const res = await sc.scim('POST', '/Users', { body: entraUser('jdoe@contoso.com', { title }) });
        expect(res.status, JSON.stringify(title)).toBe(400);
        expect(res.error()).toMatchObject({
          schemas: [SCIM_ERROR_SCHEMA],
          status: '400',
          scimType: 'invalidValue',
        });
        expect(res.error().detail).toContain('X-Title');
      }
      expect(sc.calls.filter((c) => c.method === 'POST')).toEqual([]);
      // Latin-1 is what a header can carry.
      const latin1 = await sc.scim('POST', '/Users', {
        body: entraUser('jdoe@contoso.com', { title: 'Directeur général' }),
      });
      expect(latin1.status, JSON.stringify(latin1.json)).toBe(201);
    } finally {
      await sc.close();
    }
  });
});

/** Sends the whole request, then reads the answer: what most HTTP clients do. */
function sendThenRead(port: number, head: string, body: Buffer): Promise<{ answer: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const finish = (error?: string) => {
      socket.destroy();
      resolve(error ? { answer, error } : { answer });
    };
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    const read = () => {
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString('latin1');
        const [headers = '', rest] = answer.split('\r\n\r\n');
        const length = Number(/content-length: (\d+)/i.exec(headers)?.[1]);
        if (rest !== undefined && Buffer.byteLength(rest, 'latin1') >= length) finish();
      });
      socket.on('end', () => finish());
    };
    socket.write(head);
    let offset = 0;
    const next = () => {
      if (offset >= body.length) return read();
      const chunk = body.subarray(offset, offset + 64 * 1024);
      offset += chunk.length;
      socket.write(chunk, (error) => {
        if (!error) next();
      });
    };
    next();
  });
}

describe('an authenticated body over server.bodyLimit', () => {
  let sc: SecureSidecar;

  beforeAll(async () => {
    sc = await startSecureSidecar({ listen: true });
  });
  afterAll(async () => {
    await sc.close();
  });

  const tenMegabytes = Buffer.alloc(10 * 1024 * 1024, 'a');

  it.each([
    ['declared with Content-Length', `Content-Length: ${tenMegabytes.length}\r\n`, tenMegabytes],
    ['sent chunked', 'Transfer-Encoding: chunked\r\n', chunked(tenMegabytes)],
  ])('gets a SCIM 413 the client can read, not a connection reset (%s)', async (_label, framing, body) => {
    const head =
      `POST /scim/v2/Users HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${SCIM_TOKEN}\r\n` +
      `Content-Type: application/scim+json\r\n${framing}\r\n`;
    const { answer, error } = await sendThenRead(sc.port, head, body);
    expect(error).toBeUndefined();
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    const json = JSON.parse(answer.split('\r\n\r\n')[1] ?? '') as Record<string, unknown>;
    expect(json).toMatchObject({ schemas: [SCIM_ERROR_SCHEMA], status: '413' });
  });
});

function chunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += 64 * 1024) {
    const chunk = body.subarray(offset, offset + 64 * 1024);
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

describe('the id map file at start-up, in the JSON log', () => {
  let demo: DemoApp;
  let dir: string;

  beforeAll(async () => {
    demo = await startDemoApp({ apiKey: UPSTREAM_API_KEY });
    dir = mkdtempSync(join(tmpdir(), 'scim-sidecar-edge-idmap-'));
  });
  afterAll(async () => {
    await demo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startWith(
    file: string,
    contents: string | undefined,
  ): Promise<Array<Record<string, unknown>>> {
    const path = join(dir, file);
    if (contents !== undefined) writeFileSync(path, contents);
    const config = deploymentConfig(demo.url, DEMO_MAPPING_FILE);
    config.idMap = { store: 'file', path, cacheSize: 100 };
    const logs = new LogCapture();
    const app = await buildApp(config, loadMapping(DEMO_MAPPING_FILE), {
      logger: createLogger('info', logs.stream),
      auditLogger: null,
    });
    await app.close();
    return logs.records();
  }

  it('reports a torn tail it dropped as a warning', async () => {
    const records = await startWith('torn.jsonl', '{"op":"put","resourceType":"User","sci');
    expect(records).toContainEqual(
      expect.objectContaining({ level: 40, msg: expect.stringContaining('Dropped a torn tail of 38 bytes') }),
    );
  });

  it('warns when the file is there but empty', async () => {
    const records = await startWith('empty.jsonl', '');
    expect(records).toContainEqual(
      expect.objectContaining({ level: 40, msg: expect.stringContaining('is empty') }),
    );
  });

  it('says nothing of the kind for a new file', async () => {
    const records = await startWith('new.jsonl', undefined);
    expect(records.filter((r) => r.level === 40)).toEqual([]);
  });
});
