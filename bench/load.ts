/**
 * Load generation: autocannon for throughput at full load (closed loop, fixed connections),
 * an open-loop paced client for latency at a fixed rate, and a sequential client for calibration
 * and seeding. All of them count one *operation* as the whole request sequence of an OpStream,
 * and time it from the first request to the last response.
 */
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import type { HttpCall, OpStream } from './workloads.js';

export interface LatencySummary {
  ops: number;
  errors: number;
  /** Unexpected statuses seen, status → count. */
  statuses: Record<string, number>;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface ThroughputResult extends LatencySummary {
  opsPerSec: number;
  seconds: number;
}

/** Collects operation latencies (ms) and unexpected statuses. */
export class OpRecorder {
  private latencies = new Float64Array(1 << 16);
  private count = 0;
  errors = 0;
  readonly statuses: Record<string, number> = {};

  record(ms: number): void {
    if (this.count === this.latencies.length) {
      const grown = new Float64Array(this.latencies.length * 2);
      grown.set(this.latencies);
      this.latencies = grown;
    }
    this.latencies[this.count++] = ms;
  }

  fail(status: number | string): void {
    this.errors++;
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
  }

  get ops(): number {
    return this.count;
  }

  /** The latencies recorded, in order. */
  values(): Float64Array {
    return this.latencies.slice(0, this.count);
  }

  summary(): LatencySummary {
    const sorted = this.latencies.slice(0, this.count).sort();
    const at = (q: number) =>
      this.count === 0 ? Number.NaN : sorted[Math.min(this.count - 1, Math.floor(q * this.count))]!;
    return {
      ops: this.count,
      errors: this.errors,
      statuses: this.statuses,
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
      max: this.count === 0 ? Number.NaN : sorted[this.count - 1]!,
    };
  }
}

interface OpContext {
  op?: HttpCall[];
  start?: number;
}

/** Full load: `connections` clients, each sending the stream's requests back to back. */
export async function saturate(
  origin: string,
  stream: OpStream,
  options: { seconds: number; connections: number },
): Promise<ThroughputResult> {
  const recorder = new OpRecorder();
  const last = stream.requestsPerOp - 1;
  const requests: autocannon.Request[] = [];
  for (let i = 0; i <= last; i++) {
    requests.push({
      setupRequest: (request, context) => {
        const ctx = context as OpContext;
        if (i === 0) {
          ctx.op = stream.next();
          ctx.start = performance.now();
        }
        const call = ctx.op?.[i];
        if (!call) throw new Error('operation shorter than requestsPerOp');
        request.method = call.method;
        request.path = call.path;
        request.body = call.body ?? '';
        // A copy: autocannon adds Content-Length to the object it is given.
        request.headers =
          call.body === undefined ? withoutBodyHeaders(stream.headers) : { ...stream.headers };
        return request;
      },
      onResponse: (status, _body, context) => {
        const ctx = context as OpContext;
        const call = ctx.op?.[i];
        if (call && status !== call.expect) recorder.fail(status);
        if (i === last && ctx.start !== undefined) recorder.record(performance.now() - ctx.start);
      },
    });
  }
  const result = await autocannon({
    url: origin,
    connections: options.connections,
    duration: options.seconds,
    requests,
    timeout: 30,
    // autocannon checks its stop flag once per sample: by default once a second, which would
    // stretch a short (--quick) run to a full second.
    ...(options.seconds < 5 ? { sampleInt: 100 } : {}),
  });
  if (result.errors > 0) recorder.fail(`connection errors: ${result.errors}`);
  const summary = recorder.summary();
  return { ...summary, seconds: result.duration, opsPerSec: summary.ops / result.duration };
}

function withoutBodyHeaders(headers: Record<string, string>): Record<string, string> {
  const { 'content-type': _ignored, ...rest } = headers;
  return rest;
}

/** Sends one operation's requests in order; returns false on an unexpected status. */
async function sendOp(pool: Pool, stream: OpStream, op: HttpCall[], recorder: OpRecorder): Promise<boolean> {
  for (const call of op) {
    const response = await pool.request({
      method: call.method,
      path: call.path,
      headers: call.body === undefined ? withoutBodyHeaders(stream.headers) : { ...stream.headers },
      body: call.body ?? null,
    });
    const text = await response.body.text();
    if (response.statusCode !== call.expect) {
      recorder.fail(response.statusCode);
      if (recorder.errors <= 3)
        console.error(`  ${call.method} ${call.path} -> ${response.statusCode} ${text.slice(0, 300)}`);
      return false;
    }
  }
  return true;
}

/**
 * Open loop at a fixed rate: operation i is due at start + i/rate and is timed from then, so a
 * stalled server is charged for the operations that queue up behind it (no coordinated omission).
 */
export async function paced(
  origin: string,
  stream: OpStream,
  options: { opsPerSec: number; seconds: number; connections: number },
): Promise<LatencySummary> {
  const pool = new Pool(origin, { connections: options.connections, pipelining: 1 });
  const recorder = new OpRecorder();
  const total = Math.max(1, Math.round(options.opsPerSec * options.seconds));
  const interval = 1000 / options.opsPerSec;
  const inflight = new Set<Promise<void>>();
  const start = performance.now() + 5;
  let launched = 0;
  try {
    while (launched < total) {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - start) / interval) + 1);
      while (launched < due) {
        const scheduled = start + launched * interval;
        const op = stream.next();
        const task = sendOp(pool, stream, op, recorder)
          .then((ok) => {
            if (ok) recorder.record(performance.now() - scheduled);
          })
          .catch((error: unknown) => recorder.fail(error instanceof Error ? error.message : String(error)))
          .finally(() => inflight.delete(task));
        inflight.add(task);
        launched++;
      }
      const wait = start + launched * interval - performance.now();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
    }
    await Promise.all(inflight);
  } finally {
    await pool.close();
  }
  return recorder.summary();
}

/** `count` operations with at most `concurrency` in flight (seeding, calibration). */
export async function runOps(
  origin: string,
  stream: OpStream,
  count: number,
  concurrency: number,
  onResponse?: (op: HttpCall[], index: number) => void,
): Promise<LatencySummary> {
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1 });
  const recorder = new OpRecorder();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const op = stream.next();
      const started = performance.now();
      if (await sendOp(pool, stream, op, recorder)) recorder.record(performance.now() - started);
      onResponse?.(op, index);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await pool.close();
  }
  return recorder.summary();
}
