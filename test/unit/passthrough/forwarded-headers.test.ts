import { describe, expect, it } from 'vitest';
import { rewriteForwarding } from '../../../src/passthrough/forwarded-headers.js';
import { AddressSet } from '../../../src/security/ip-rules.js';

const claims = {
  'x-forwarded-for': '6.6.6.6',
  'x-forwarded-host': 'evil.example',
  'x-forwarded-proto': 'https',
  'x-forwarded-prefix': '/admin',
  forwarded: 'for=6.6.6.6',
  'x-real-ip': '6.6.6.6',
  'true-client-ip': '6.6.6.6',
  accept: 'text/html',
};
const proxies = new AddressSet(['10.0.0.0/8']);

describe('rewriteForwarding', () => {
  it("replaces a client's claims with what the sidecar saw", () => {
    const out = rewriteForwarding(
      claims,
      { peer: '::ffff:192.0.2.7', encrypted: true, host: 'app.example' },
      'set',
      proxies,
    );
    expect(out).toEqual({
      accept: 'text/html',
      'x-forwarded-for': '192.0.2.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'app.example',
    });
  });

  it('keeps what a trusted proxy says and appends the proxy to the chain', () => {
    const out = rewriteForwarding(
      { 'x-forwarded-for': '192.0.2.7, 10.1.1.1', 'x-forwarded-proto': 'https', forwarded: 'for=192.0.2.7' },
      { peer: '10.2.2.2', encrypted: false, host: 'internal:8080' },
      'set',
      proxies,
    );
    expect(out).toEqual({
      'x-forwarded-for': '192.0.2.7, 10.1.1.1, 10.2.2.2',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'internal:8080',
      forwarded: 'for=192.0.2.7',
    });
  });

  it('sets no X-Forwarded-Host when the request had no Host', () => {
    const out = rewriteForwarding(
      {},
      { peer: '192.0.2.7', encrypted: false, host: undefined },
      'set',
      undefined,
    );
    expect(out).toEqual({ 'x-forwarded-for': '192.0.2.7', 'x-forwarded-proto': 'http' });
  });

  it('drops every claim and sets none with strip, even from a trusted proxy', () => {
    const out = rewriteForwarding(
      claims,
      { peer: '10.2.2.2', encrypted: false, host: 'h' },
      'strip',
      proxies,
    );
    expect(out).toEqual({ accept: 'text/html' });
  });
});
