import type { Registry } from 'prom-client';

/** One interval of the charts: what happened between the previous sample and this one. */
export interface HistoryPoint {
  /** End of the interval (epoch ms). */
  at: number;
  requests: number;
  errors: number;
  /** Mean duration of the calls to the app in the interval; null when there were none. */
  appLatencyMs: number | null;
}

interface Totals {
  requests: number;
  errors: number;
  upstreamSeconds: number;
  upstreamCalls: number;
}

export const SAMPLE_INTERVAL_MS = 15_000;
const KEEP_MS = 60 * 60 * 1000;

/**
 * The last hour of the in-process Prometheus metrics as a series the Charts page draws: the
 * counters are read every {@link SAMPLE_INTERVAL_MS} and differenced. Only runs while the
 * console is on; its timer never keeps the process alive.
 */
export class MetricsHistory {
  private readonly points: HistoryPoint[] = [];
  private previous: Totals | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** How often the counters are read; when sampling began (epoch ms). */
  intervalMs = SAMPLE_INTERVAL_MS;
  startedAt: number;

  constructor(
    private readonly registry: Registry,
    private readonly clock: () => number = Date.now,
  ) {
    this.startedAt = clock();
  }

  start(intervalMs = SAMPLE_INTERVAL_MS): void {
    this.intervalMs = intervalMs;
    this.startedAt = this.clock();
    void this.sample();
    this.timer = setInterval(() => void this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads the counters now and adds the interval since the previous reading. */
  async sample(): Promise<void> {
    const totals = await this.totals();
    const previous = this.previous;
    this.previous = totals;
    if (!previous) return;
    const calls = totals.upstreamCalls - previous.upstreamCalls;
    const at = this.clock();
    this.points.push({
      at,
      requests: Math.max(0, totals.requests - previous.requests),
      errors: Math.max(0, totals.errors - previous.errors),
      appLatencyMs:
        calls > 0
          ? Math.round(((totals.upstreamSeconds - previous.upstreamSeconds) / calls) * 100_000) / 100
          : null,
    });
    while (this.points.length > 0 && (this.points[0] as HistoryPoint).at < at - KEEP_MS) this.points.shift();
  }

  series(): readonly HistoryPoint[] {
    return this.points;
  }

  private async totals(): Promise<Totals> {
    const sum = async (name: string, suffix?: string): Promise<number> => {
      const metric = this.registry.getSingleMetric(name);
      if (!metric) return 0;
      const { values } = await metric.get();
      return values
        .filter(
          (v) => suffix === undefined || (v as { metricName?: string }).metricName === `${name}${suffix}`,
        )
        .reduce((total, v) => total + v.value, 0);
    };
    const upstream = 'scim_sidecar_upstream_request_duration_seconds';
    return {
      requests: await sum('scim_sidecar_requests_total'),
      errors: await sum('scim_sidecar_errors_total'),
      upstreamSeconds: await sum(upstream, '_sum'),
      upstreamCalls: await sum(upstream, '_count'),
    };
  }
}
