import pino, { type Logger } from 'pino';
import { censorLogLine } from './log-censor.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

let stdout: pino.DestinationStream | undefined;

/**
 * How log and audit lines are written: appended to a buffer that is written once it holds 4 KB,
 * and at least every 200 ms. Under load a write(2) carries a few requests' lines instead of one
 * or two, which took 7% of the CPU of a `GET /Users/{id}`; when traffic is light a line waits at
 * most 200 ms. What is buffered is written when the process exits ({@link batchedDestination}).
 *
 * The batch is written synchronously, on the event loop's thread: with batching that is one
 * short write(2) every few requests, whereas an asynchronous write hands each batch to libuv's
 * thread pool and back. With 8 requests in flight those wake-ups cost 30–40 µs of CPU per
 * `GET /Users/{id}` on two cores (at full load batches grow and the two ways cost the same). An
 * audit file that cannot be opened stops start-up with its reason, and, as with pino's default
 * destination and Node's own stdout, a reader that stops draining a pipe holds the process back
 * instead of letting lines pile up in memory.
 */
export const BATCHED_WRITES = { sync: true, minLength: 4096, periodicFlush: 200 } as const;

type BatchedStream = ReturnType<typeof pino.destination>;

/** Every batched stream still open: what they buffer is written when the process exits. */
const openBatches = new Set<BatchedStream>();
let flushingAtExit = false;

/**
 * A destination that writes in batches ({@link BATCHED_WRITES}): standard output (`1`) or a file.
 * pino writes out what a stream buffers at exit only for asynchronous streams, so these streams
 * are flushed here, synchronously, on `exit`: the last audit lines before a SIGTERM are the ones
 * an operator looks for.
 */
export function batchedDestination(
  options: { dest: 1 } | { dest: string; mkdir: boolean; append: boolean },
): BatchedStream {
  const stream = pino.destination({ ...options, ...BATCHED_WRITES });
  if (!flushingAtExit) {
    process.on('exit', flushBatches);
    flushingAtExit = true;
  }
  openBatches.add(stream);
  stream.on('close', () => openBatches.delete(stream));
  return stream;
}

function flushBatches(): void {
  for (const stream of openBatches) {
    try {
      stream.flushSync();
    } catch {
      // A stream that is closing or broken: nothing more can be written to it.
    }
  }
}

/**
 * The one stream that writes to standard output. The log and the audit trail share it, so their
 * lines never interleave.
 */
export function stdoutDestination(): pino.DestinationStream {
  stdout ??= batchedDestination({ dest: 1 });
  return stdout;
}

export function createLogger(
  level: LogLevel,
  destination: pino.DestinationStream = stdoutDestination(),
): Logger {
  return pino(
    {
      level,
      base: { service: 'scim-sidecar' },
      // Credentials are censored on every line (see log-censor.ts), in place of pino's `redact`.
      formatters: { log: censorLogLine },
      serializers: {
        // The query string can carry filter values (user names, e-mail addresses): keep it out.
        req: (req: { method?: string; url?: string; id?: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url?.split('?')[0],
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
    destination,
  );
}

/** A URL fit for a log line: any user name or password in it replaced. */
export function redactUrlCredentials(url: string): string {
  if (!URL.canParse(url)) return url;
  const parsed = new URL(url);
  if (!parsed.username && !parsed.password) return url;
  parsed.username = parsed.username ? '[redacted]' : '';
  parsed.password = parsed.password ? '[redacted]' : '';
  return parsed.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
}
