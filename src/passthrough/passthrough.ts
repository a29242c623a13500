import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { IncomingHttpHeaders as Http2IncomingHttpHeaders } from 'node:http2';
import proxy from '@fastify/http-proxy';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { InboundAuthConfig } from '../config/deployment-config.js';
import { scimCredentialMatcher } from '../http/authenticator.js';
import { drainBodyAfterEarlyAnswer } from '../http/drain-body.js';
import { sendScimError } from '../http/error-handler.js';
import { ScimError } from '../scim/errors.js';
import { AddressSet } from '../security/ip-rules.js';
import { BodyTooLargeError, isBodyTooLarge, limitedBody } from './body-limit.js';
import { type ForwardedHeadersMode, rewriteForwarding } from './forwarded-headers.js';
import { causeCodes, gatewayAnswer } from './gateway-errors.js';
import { looksLikeScimPath } from './path-guard.js';

export interface PassthroughOptions {
  upstream: string;
  /** The SCIM credentials: an Authorization header carrying one is never forwarded. */
  auth?: InboundAuthConfig | (() => InboundAuthConfig);
  /** The SCIM base path: no spelling of it reaches the app through the passthrough. */
  basePath?: string;
  /** Proxies (CIDR ranges) whose forwarding headers are kept: `server.trustedProxies`. */
  trustedProxies?: readonly string[];
  /** `passthrough.forwardedHeaders`; default `set`. */
  forwardedHeaders?: ForwardedHeadersMode;
  /** `passthrough.bodyLimit` in bytes; default: none (bodies stream to the app whatever their size). */
  bodyLimit?: number;
}

const TOO_LARGE = { error: 'Payload Too Large', message: 'The request body is too large' };

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
 * Every request that is not SCIM and not an ops endpoint goes to the app in its own scope, as a
 * reverse proxy forwards it. What is forwarded is the caller's request minus: hop-by-hop headers
 * (and `Expect`: the interim 100 is answered here, per hop); an Authorization header that
 * carries a SCIM credential in any spelling (the app may use Authorization for its own users,
 * so any other is kept); forwarding headers the client wrote about itself, replaced by the
 * sidecar's own (`passthrough.forwardedHeaders`); and any obfuscated spelling of the SCIM base
 * path, which is refused with 400 instead of being forwarded around authentication. Bodies are
 * streamed, whatever their type, up to `passthrough.bodyLimit` when one is set. When the app
 * gives no answer, the client gets 502 (504 for a timeout) naming no internal address.
 */
export async function passthroughPlugin(scope: FastifyInstance, options: PassthroughOptions): Promise<void> {
  const isScimCredential = credentialMatcher(options.auth);
  const basePath = options.basePath;
  const forwardedHeaders = options.forwardedHeaders ?? 'set';
  const trustedProxies = options.trustedProxies?.length ? new AddressSet(options.trustedProxies) : undefined;
  const bodyLimit = options.bodyLimit;

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

  // Every body streams to the app as it arrives: the SCIM scope's parsers and limit are not
  // the app's. A declared length over the limit is refused before anything is sent.
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (request, payload, done) => {
    if (bodyLimit === undefined) return done(null, payload);
    if (Number(request.headers['content-length']) > bodyLimit)
      return done(new BodyTooLargeError(), undefined);
    return done(null, limitedBody(payload, bodyLimit));
  });
  scope.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.statusCode !== 413) throw error;
    drainBodyAfterEarlyAnswer(request.raw, reply);
    return reply.code(413).send(TOO_LARGE);
  });

  await scope.register(proxy, {
    upstream: options.upstream,
    prefix: '/',
    rewritePrefix: '/',
    websocket: false,
    proxyPayloads: false,
    replyOptions: {
      rewriteRequestHeaders: (request, headers) => {
        const out = withoutHopByHop(headers);
        delete out.expect;
        const authorization = typeof out.authorization === 'string' ? out.authorization : undefined;
        if (isScimCredential(authorization)) delete out.authorization;
        const hop = {
          peer: request.socket.remoteAddress,
          encrypted: 'encrypted' in request.socket && request.socket.encrypted === true,
          host: request.headers.host,
        };
        return rewriteForwarding(out, hop, forwardedHeaders, trustedProxies);
      },
      rewriteHeaders: (headers) => withoutHopByHop(headers),
      // reply-from would send a GET the app answers 503 again, up to 10 times: the answer is the client's.
      retryDelay: () => null,
      onError: (reply, { error }) => {
        if (isBodyTooLarge(error)) {
          drainBodyAfterEarlyAnswer(reply.request.raw as IncomingMessage, reply);
          reply.code(413).send(TOO_LARGE);
          return;
        }
        const answer = gatewayAnswer(error);
        reply.request.log.warn(
          { status: answer.status, codes: causeCodes(error) },
          'the app gave no answer to a passthrough request',
        );
        reply.code(answer.status).send(answer.body);
      },
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
