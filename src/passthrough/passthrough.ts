import type { IncomingHttpHeaders } from 'node:http';
import type { IncomingHttpHeaders as Http2IncomingHttpHeaders } from 'node:http2';
import proxy from '@fastify/http-proxy';
import type { FastifyInstance } from 'fastify';
import type { InboundAuthConfig } from '../config/deployment-config.js';
import { scimCredentialMatcher } from '../http/authenticator.js';
import { sendScimError } from '../http/error-handler.js';
import { ScimError } from '../scim/errors.js';
import { looksLikeScimPath } from './path-guard.js';

export interface PassthroughOptions {
  upstream: string;
  /** The SCIM credentials: an Authorization header carrying one is never forwarded. */
  auth?: InboundAuthConfig | (() => InboundAuthConfig);
  /** The SCIM base path: no spelling of it reaches the app through the passthrough. */
  basePath?: string;
}

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) concern one connection only and are never forwarded, in
 * either direction. @fastify/reply-from already drops `Connection` and the headers it lists;
 * the fixed set below is dropped here. `Proxy-Authorization` is addressed to a proxy, never to
 * the app. `TE: trailers` is the one TE value an HTTP/1.1 hop may pass on.
 */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

type Headers = IncomingHttpHeaders | Http2IncomingHttpHeaders;

function withoutHopByHop<T extends Headers>(headers: T): T {
  const out = { ...headers };
  // Headers named in Connection are hop-by-hop too (RFC 9110 §7.6.1).
  const listed = typeof out.connection === 'string' ? out.connection.split(',') : [];
  for (const name of listed) delete out[name.trim().toLowerCase()];
  for (const name of HOP_BY_HOP) delete out[name];
  if (out.te !== undefined && String(out.te).trim().toLowerCase() !== 'trailers') delete out.te;
  return out;
}

/**
 * Every request that is not SCIM and not an ops endpoint goes to the app in its own scope:
 * @fastify/http-proxy registers catch-all body parsers that must not reach the SCIM scope.
 * What is forwarded is the caller's request minus three things: hop-by-hop headers, an
 * Authorization header that carries a SCIM credential (the app may use Authorization for its
 * own users, so any other is kept), and any obfuscated spelling of the SCIM base path, which is
 * refused with 400 instead of being forwarded around authentication.
 */
export async function passthroughPlugin(scope: FastifyInstance, options: PassthroughOptions): Promise<void> {
  const isScimCredential = credentialMatcher(options.auth);
  const basePath = options.basePath;

  if (basePath) {
    scope.addHook('onRequest', async (request, reply) => {
      if (!looksLikeScimPath(request.raw.url ?? request.url, basePath)) return undefined;
      request.log.info('refused an ambiguous spelling of the SCIM base path on the passthrough');
      sendScimError(
        reply,
        new ScimError(400, 'Ambiguous request path: send SCIM requests to the SCIM base path'),
      );
      return reply;
    });
  }

  await scope.register(proxy, {
    upstream: options.upstream,
    prefix: '/',
    rewritePrefix: '/',
    websocket: false,
    replyOptions: {
      rewriteRequestHeaders: (_request, headers) => {
        const out = withoutHopByHop(headers);
        const authorization = typeof out.authorization === 'string' ? out.authorization : undefined;
        if (isScimCredential(authorization)) delete out.authorization;
        return out;
      },
      rewriteHeaders: (headers) => withoutHopByHop(headers),
    },
  });
}

/** The matcher for the SCIM credentials in effect now (a reload may change them). */
function credentialMatcher(auth: PassthroughOptions['auth']): (authorization: string | undefined) => boolean {
  if (auth === undefined) return () => false;
  if (typeof auth !== 'function') return scimCredentialMatcher(auth);
  const built = new WeakMap<InboundAuthConfig, (authorization: string | undefined) => boolean>();
  return (authorization) => {
    const current = auth();
    let matcher = built.get(current);
    if (!matcher) {
      matcher = scimCredentialMatcher(current);
      built.set(current, matcher);
    }
    return matcher(authorization);
  };
}
