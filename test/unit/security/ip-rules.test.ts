import { describe, expect, it } from 'vitest';
import { AddressSet, clientAddress, parseCidr } from '../../../src/security/ip-rules.js';

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', { address: '10.0.0.0', prefix: 8, family: 'ipv4' }],
    ['192.0.2.7', { address: '192.0.2.7', prefix: 32, family: 'ipv4' }],
    ['0.0.0.0/0', { address: '0.0.0.0', prefix: 0, family: 'ipv4' }],
    ['2001:db8::/32', { address: '2001:db8::', prefix: 32, family: 'ipv6' }],
    ['::1', { address: '::1', prefix: 128, family: 'ipv6' }],
    [' 10.1.0.0/16 ', { address: '10.1.0.0', prefix: 16, family: 'ipv4' }],
  ])('parses %j', (text, expected) => {
    expect(parseCidr(text)).toEqual(expected);
  });

  it.each([
    '10.0.0.0/33',
    '2001:db8::/129',
    '10.0.0/8',
    'example.com',
    '10.0.0.0/',
    '10.0.0.0/x',
    '',
    '10.0.0.0/-1',
  ])('refuses %j', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});

describe('AddressSet', () => {
  const set = new AddressSet(['10.0.0.0/8', '2001:db8::/32', '192.0.2.7']);

  it.each(['10.0.0.1', '10.255.255.255', '::ffff:10.1.2.3', '2001:db8:1::5', '192.0.2.7'])('has %s', (ip) => {
    expect(set.has(ip)).toBe(true);
  });

  it.each(['11.0.0.1', '192.0.2.8', '2001:db9::1', '::1', '', 'not-an-ip', undefined])('has not %j', (ip) => {
    expect(set.has(ip)).toBe(false);
  });

  it('names the entry it cannot parse', () => {
    expect(() => new AddressSet(['10.0.0.0/8', 'nope'])).toThrow('"nope" is not an IP address or CIDR range');
  });
});

describe('clientAddress', () => {
  const proxies = new AddressSet(['10.9.0.0/16', '127.0.0.1']);

  it('is the socket peer when no proxy is trusted', () => {
    expect(clientAddress('198.51.100.1', '203.0.113.9', undefined)).toBe('198.51.100.1');
  });

  it('is the socket peer when the peer is not a trusted proxy', () => {
    expect(clientAddress('198.51.100.1', '203.0.113.9', proxies)).toBe('198.51.100.1');
  });

  it('is the address the trusted proxy appended', () => {
    expect(clientAddress('10.9.0.1', '203.0.113.9', proxies)).toBe('203.0.113.9');
    expect(clientAddress('10.9.0.1', ['192.0.2.1', '203.0.113.9'], proxies)).toBe('203.0.113.9');
  });

  it('walks past further trusted proxies, never reaching entries the client wrote', () => {
    expect(clientAddress('10.9.0.1', '192.0.2.66, 203.0.113.9, 10.9.0.2', proxies)).toBe('203.0.113.9');
  });

  it('falls back to the last trusted hop when every entry is a proxy or the header is empty', () => {
    expect(clientAddress('10.9.0.1', '10.9.0.2', proxies)).toBe('10.9.0.2');
    expect(clientAddress('10.9.0.1', undefined, proxies)).toBe('10.9.0.1');
    expect(clientAddress('10.9.0.1', '', proxies)).toBe('10.9.0.1');
  });

  it('stops at a malformed entry', () => {
    expect(clientAddress('10.9.0.1', '203.0.113.9, garbage', proxies)).toBe('10.9.0.1');
  });

  it('unwraps IPv4-mapped and bracketed addresses', () => {
    expect(clientAddress('::ffff:127.0.0.1', '[2001:db8::7]', proxies)).toBe('2001:db8::7');
    expect(clientAddress('::ffff:198.51.100.1', undefined, undefined)).toBe('198.51.100.1');
  });
});
