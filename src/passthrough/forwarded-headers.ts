import type { AddressSet } from '../security/ip-rules.js';
import { normalizeAddress } from '../security/ip-rules.js';

/** What the passthrough does with forwarding headers: set its own (default), or send none. */
export type ForwardedHeadersMode = 'set' | 'strip';

/**
 * Headers through which a client can claim another address, host or scheme. Apps and their
 * frameworks trust them to mean what the nearest proxy saw, so only a proxy may write them.
 */
const CLAIMS = new Set([
  'forwarded',
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
  'x-cluster-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-original-forwarded-for',
]);

function isClaim(name: string): boolean {
  return name.startsWith('x-forwarded-') || CLAIMS.has(name);
}

/** The connection a request came in on, as the sidecar saw it. */
export interface Hop {
  /** The socket peer's address. */
  peer: string | undefined;
  /** Whether it came over TLS. */
  encrypted: boolean;
  /** The Host header the client sent. */
  host: string | undefined;
}

/**
 * The headers to forward, as a reverse proxy writes them: whatever the client claimed about
 * itself is dropped, unless the peer is a trusted proxy (`server.trustedProxies`), whose
 * claims are kept and whose own address is appended to X-Forwarded-For. Then (`set`)
 * X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host say what the sidecar saw.
 */
export function rewriteForwarding<T extends Record<string, unknown>>(
  headers: T,
  hop: Hop,
  mode: ForwardedHeadersMode,
  trustedProxies: AddressSet | undefined,
): T {
  const peer = normalizeAddress(hop.peer ?? '');
  const trusted = mode === 'set' && trustedProxies !== undefined && trustedProxies.has(peer);
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (trusted || !isClaim(name)) out[name] = value;
  }
  if (mode === 'strip') return out as T;
  const chain = trusted ? headerText(out['x-forwarded-for']) : undefined;
  out['x-forwarded-for'] = chain ? `${chain}, ${peer}` : peer;
  if (!trusted || out['x-forwarded-proto'] === undefined)
    out['x-forwarded-proto'] = hop.encrypted ? 'https' : 'http';
  if (!trusted || out['x-forwarded-host'] === undefined) {
    if (hop.host) out['x-forwarded-host'] = hop.host;
    else delete out['x-forwarded-host'];
  }
  return out as T;
}

function headerText(value: unknown): string | undefined {
  const text = Array.isArray(value) ? value.join(', ') : typeof value === 'string' ? value : undefined;
  return text?.trim() || undefined;
}
