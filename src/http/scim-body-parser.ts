import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isScimError, type ScimError, scimErrors } from '../scim/errors.js';

/** RFC 7644 §3.1 and §8.1: SCIM bodies are application/scim+json; application/json is accepted too. */
const JSON_MEDIA_TYPES: ReadonlySet<string> = new Set(['application/scim+json', 'application/json']);

/** The SCIM requests that need a body: create, replace, PATCH and POST .search (RFC 7644 §3.3–§3.5). */
const METHODS_WITH_BODY: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

/**
 * The SCIM scope's only body parser. A body labelled application/scim+json or application/json
 * (any parameters), or not labelled at all (some clients send none), is parsed as JSON, refusing
 * `__proto__` / `constructor` keys; another media type is a 415. An empty body is fine where SCIM
 * needs none: clients send DELETE with their usual Content-Type and nothing after it.
 */
export function registerScimBodyParser(scope: FastifyInstance, bodyLimit: number): void {
  scope.removeAllContentTypeParsers();
  const parseJson = scope.getDefaultJsonParser('error', 'error');
  scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (request, body, done) => {
    const text = String(body);
    if (text === '' && !METHODS_WITH_BODY.has(request.method)) {
      done(null, undefined);
      return;
    }
    const mediaType = mediaTypeOf(request);
    if (mediaType !== undefined && !JSON_MEDIA_TYPES.has(mediaType)) {
      done(
        scimErrors.unsupportedMediaType(
          `${quoted(mediaType)} is not JSON: send application/scim+json or application/json`,
        ),
        undefined,
      );
      return;
    }
    if (text === '') {
      done(
        scimErrors.invalidSyntax(`The request body is empty; ${request.method} needs a JSON body`),
        undefined,
      );
      return;
    }
    parseJson(request, text, (error, parsed) => {
      done(error ? invalidJson(error, mediaType) : null, parsed);
    });
  });
}

/** The media type without parameters, lower-cased; undefined when the request names none. */
function mediaTypeOf(request: FastifyRequest): string | undefined {
  const header = request.headers['content-type'];
  const type = header?.split(';')[0]?.trim().toLowerCase();
  return type === undefined || type === '' ? undefined : type;
}

/** Fastify's own message names application/json whatever was sent; this one names what was. */
function invalidJson(error: Error, mediaType: string | undefined): ScimError {
  if (isScimError(error)) return error;
  const sent = mediaType === undefined ? 'without a Content-Type' : `sent as ${mediaType}`;
  return scimErrors.invalidSyntax(`The request body (${sent}) is not valid JSON`);
}

/** Keeps a hostile header from flooding the error detail. */
function quoted(mediaType: string): string {
  return `"${mediaType.length > 60 ? `${mediaType.slice(0, 57)}...` : mediaType}"`;
}
