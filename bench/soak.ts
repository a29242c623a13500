/**
 * `--soak <minutes>`: the sidecar under full load for that long, W1, W3, W5 and a group PATCH that
 * adds and removes members in turn (bounded group sizes), 15 s each in rotation, with its RSS
 * sampled every 10 s. Creates (W2) are left out on purpose: every create adds an id map entry,
 * which is data, not a leak, and would make RSS grow by design.
 *
 * Flatness is judged after the first minute (JIT, pools and caches warming up): every sample
 * within ±5% of the mean of those samples, and (GC sawtooth averaged out) every minute's mean;
 * the least-squares trend in MB/min tells a leak from the sawtooth.
 */
import type { BenchChild, MemorySample } from './ipc.js';
import { saturate } from './load.js';
import { type Pools, WORKLOADS, type WorkloadId } from './workloads.js';

const SEGMENT_SECONDS = 15;
const SAMPLE_MS = 10_000;
const WARMUP_MS = 60_000;
const ROTATION: WorkloadId[] = ['W1', 'W3', 'W5', 'W4soak'];

interface Sample extends MemorySample {
  atMs: number;
}

export async function runSoak(
  sidecar: BenchChild,
  pools: Pools,
  options: { minutes: number; connections: number },
): Promise<void> {
  const streams = ROTATION.map((id) => ({ id, stream: WORKLOADS[id].stream('sidecar', pools) }));
  const samples: Sample[] = [];
  const started = performance.now();
  const sample = async () => {
    const memory = await sidecar.ask({ type: 'memory' });
    samples.push({ atMs: performance.now() - started, ...memory });
    const last = samples[samples.length - 1]!;
    log(
      `  t=${(last.atMs / 1000).toFixed(0).padStart(4)} s  rss ${mb(last.rss)} MB  heapUsed ${mb(last.heapUsed)} MB  external ${mb(last.external)} MB`,
    );
  };
  log(
    `soak: ${options.minutes} min, ${ROTATION.join(' / ')} for ${SEGMENT_SECONDS} s each, ${options.connections} connections`,
  );
  await sample();
  const timer = setInterval(() => {
    sample().catch((error: unknown) => log(`  sample failed: ${String(error)}`));
  }, SAMPLE_MS);
  const endAt = started + options.minutes * 60_000;
  let errors = 0;
  let ops = 0;
  try {
    for (let i = 0; performance.now() < endAt; i++) {
      const { id, stream } = streams[i % streams.length]!;
      const seconds = Math.min(SEGMENT_SECONDS, Math.max(1, (endAt - performance.now()) / 1000));
      const result = await saturate(sidecar.url, stream, { seconds, connections: options.connections });
      errors += result.errors;
      ops += result.ops;
      if (result.errors > 0) log(`  ${id}: ${result.errors} errors ${JSON.stringify(result.statuses)}`);
    }
  } finally {
    clearInterval(timer);
  }
  await sample();

  const steady = samples.filter((s) => s.atMs >= Math.min(WARMUP_MS, (options.minutes * 60_000) / 5));
  const rss = steady.map((s) => s.rss);
  const mean = rss.reduce((a, b) => a + b, 0) / rss.length;
  const min = Math.min(...rss);
  const max = Math.max(...rss);
  const deviation = Math.max(max - mean, mean - min) / mean;
  const slope = slopePerMinute(steady);
  log(`\nsoak done: ${ops} operations, ${errors} errors`);
  log(
    `RSS after warm-up (${steady.length} samples): mean ${mb(mean)} MB, min ${mb(min)} MB, max ${mb(max)} MB, largest deviation ${(deviation * 100).toFixed(1)}% of the mean, trend ${(slope / 1024 / 1024).toFixed(2)} MB/min`,
  );
  // Per-minute means: the GC sawtooth averaged out, what a leak would still move.
  const minutes = new Map<number, number[]>();
  for (const s of steady) {
    const minute = Math.floor(s.atMs / 60_000);
    minutes.set(minute, [...(minutes.get(minute) ?? []), s.rss]);
  }
  const means = [...minutes.values()].map((list) => list.reduce((a, b) => a + b, 0) / list.length);
  const minuteDeviation = Math.max(...means.map((m) => Math.abs(m - mean))) / mean;
  log(
    `per-minute mean RSS: ${means.map((m) => mb(m)).join(', ')} MB; largest deviation ${(minuteDeviation * 100).toFixed(1)}% of the mean`,
  );
  log(
    `target RSS flat ±5%: every sample ${deviation <= 0.05 ? 'met' : 'NOT met'}; per-minute means ${minuteDeviation <= 0.05 ? 'met' : 'NOT met'}`,
  );
  if (errors > 0) process.exitCode = 1;
}

/** Least-squares slope of RSS over time, bytes per minute. */
function slopePerMinute(samples: Sample[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const xs = samples.map((s) => s.atMs / 60_000);
  const ys = samples.map((s) => s.rss);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}
