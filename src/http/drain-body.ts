import type { IncomingMessage } from 'node:http';

/** At most this much of an unread body is read and thrown away after an early answer. */
const DRAIN_MAX_BYTES = 32 * 1024 * 1024;
/** And for at most this long. */
const DRAIN_MAX_MS = 10_000;

/**
 * Called when a request is answered before its body was read (a body over the limit): the rest
 * of the body is read and thrown away instead of the connection being closed at once. Most
 * clients send their whole body before they read the answer; closing a socket with unread bytes
 * makes the kernel reset the connection, and the client then reports the reset, never the 413
 * (RFC 9112 §9.6). Draining is bounded: a body declared larger than DRAIN_MAX_BYTES is closed on
 * at once as before, and one that grows past it or takes longer than DRAIN_MAX_MS loses its
 * connection.
 */
export function drainBodyAfterEarlyAnswer(
  raw: IncomingMessage,
  reply: { removeHeader(name: string): unknown },
): void {
  if (raw.complete || raw.readableEnded) return;
  const declared = Number(raw.headers['content-length']);
  if (Number.isFinite(declared) && declared > DRAIN_MAX_BYTES) return;
  // The answer no longer closes the connection: Node reads the rest of the body before the next request.
  reply.removeHeader('connection');
  const socket = raw.socket;
  const timer = setTimeout(() => socket.destroy(), DRAIN_MAX_MS);
  timer.unref();
  let drained = 0;
  const stop = () => clearTimeout(timer);
  raw.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_MAX_BYTES) {
      stop();
      socket.destroy();
    }
  });
  raw.once('end', stop);
  raw.once('close', stop);
  raw.resume();
}
