import { type Readable, Transform } from 'node:stream';

/** A passthrough request body over `passthrough.bodyLimit`: answered 413, never forwarded whole. */
export class BodyTooLargeError extends Error {
  readonly statusCode = 413;
  readonly code = 'PASSTHROUGH_BODY_TOO_LARGE';

  constructor() {
    super('The request body is too large');
    this.name = 'BodyTooLargeError';
  }
}

/**
 * The request body as a stream that fails once more than `limit` bytes have gone through it:
 * a chunked body declares no length, so the limit is counted as the body streams to the app.
 * The body is never buffered.
 */
export function limitedBody(payload: Readable, limit: number): Readable {
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > limit) callback(new BodyTooLargeError());
      else callback(null, chunk);
    },
  });
  payload.once('error', (error) => counter.destroy(error));
  return payload.pipe(counter);
}

/** Whether `error` or anything in its `cause` chain is a {@link BodyTooLargeError}. */
export function isBodyTooLarge(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current instanceof BodyTooLargeError) return true;
    current = current.cause;
  }
  return false;
}
