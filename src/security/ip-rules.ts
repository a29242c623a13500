import { BlockList, isIP } from 'node:net';

/** A parsed `address/prefix` (a bare address is a single host: /32 or /128). */
export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Parses `10.0.0.0/8`, `2001:db8::/32` or a bare address; undefined when it is neither. */
export function parseCidr(text: string): Cidr | undefined {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const address = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return undefined;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const max = version === 4 ? 32 : 128;
  if (slash === -1) return { address, prefix: max, family };
  const prefixText = trimmed.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > max) return undefined;
  return { address, prefix, family };
}

/** A set of CIDR ranges; `has` answers for IPv4, IPv6 and IPv4-mapped IPv6 addresses. */
export class AddressSet {
  private readonly list = new BlockList();
  readonly size: number;

  /** @throws Error naming the first entry that is not a CIDR range or address. */
  constructor(cidrs: readonly string[]) {
    for (const text of cidrs) {
      const cidr = parseCidr(text);
      if (!cidr) throw new Error(`"${text}" is not an IP address or CIDR range`);
      this.list.addSubnet(cidr.address, cidr.prefix, cidr.family);
    }
    this.size = cidrs.length;
  }

  has(address: string | undefined): boolean {
    if (!address) return false;
    const version = isIP(address);
    if (version === 0) return false;
    return this.list.check(address, version === 4 ? 'ipv4' : 'ipv6');
  }
}

/**
 * The address of the client a request comes from. The socket's peer is the client unless it is
 * a trusted proxy; then X-Forwarded-For is read from the right (the entry the nearest proxy
 * appended) past every further trusted proxy, and the first untrusted address is the client.
 * Entries a client wrote itself sit to the left of that one and are never believed.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedProxies: AddressSet | undefined,
): string {
  const socketAddress = normalizeAddress(peer ?? '');
  if (!trustedProxies || trustedProxies.size === 0 || !trustedProxies.has(socketAddress))
    return socketAddress;
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? '');
  const hops = header
    .split(',')
    .map((hop) => normalizeAddress(hop.trim()))
    .filter((hop) => hop !== '');
  let client = socketAddress;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    // A malformed entry ends the chain: nothing left of it can be trusted.
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!trustedProxies.has(hop)) return hop;
  }
  return client;
}

/** `::ffff:10.0.0.1` → `10.0.0.1`; `[::1]` → `::1`; anything else as is. */
export function normalizeAddress(address: string): string {
  let out = address;
  if (out.startsWith('[') && out.endsWith(']')) out = out.slice(1, -1);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(out);
  return mapped?.[1] ?? out;
}
