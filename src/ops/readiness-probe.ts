/** The app's answer to the health check: for the log only, never for the caller of /readyz. */
export interface HealthCheck {
  ok: boolean;
  /** The app's status, when it answered. */
  status?: number;
  /** Why there is no answer (may name internal addresses). */
  detail?: string;
}

/** Bounds the calls in flight to the app (the connector's ConcurrencyGate has this shape). */
export interface CallGate {
  run<T>(maxWaitMs: number, work: () => Promise<T>): Promise<T>;
}

export interface ReadinessProbeOptions {
  /** One health call to the app. */
  check: () => Promise<HealthCheck>;
  /** When given, the check waits for a slot here like any other call to the app. */
  gate?: CallGate;
  /** How long a result is reused; default 5000 ms. */
  cacheMs?: number;
  /** Longest wait for a slot at the gate; default 5000 ms (then: not ready). */
  maxWaitMs?: number;
  log?: { warn(details: object, message: string): void };
  clock?: () => number;
}

const DEFAULT_CACHE_MS = 5_000;
const DEFAULT_MAX_WAIT_MS = 5_000;

/**
 * /readyz without letting its unauthenticated callers drive traffic to the app: the result of a
 * health check is reused for a few seconds, callers arriving while one runs share it, and the
 * check waits for a slot at the gate bounding calls to the app. So any number of probes makes
 * at most one call every `cacheMs`. The reason for a failure goes to the log, not to the caller.
 */
export class ReadinessProbe {
  private cached: { ready: boolean; at: number } | undefined;
  private running: Promise<boolean> | undefined;
  private readonly cacheMs: number;
  private readonly maxWaitMs: number;
  private readonly clock: () => number;

  constructor(private readonly options: ReadinessProbeOptions) {
    this.cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
    this.maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    this.clock = options.clock ?? Date.now;
  }

  /** Whether the app passed its health check (cached, or checked now). */
  ready(): Promise<boolean> {
    if (this.cached && this.clock() - this.cached.at < this.cacheMs)
      return Promise.resolve(this.cached.ready);
    this.running ??= this.checkNow().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /**
   * Told about every call to the app: one that got no answer at all means the app may be gone,
   * so a cached "ready" is dropped and the next probe checks again.
   */
  observe(event: { status: number | undefined }): void {
    if (event.status === undefined && this.cached?.ready) this.cached = undefined;
  }

  private async checkNow(): Promise<boolean> {
    const { check, gate } = this.options;
    let health: HealthCheck;
    try {
      health = gate ? await gate.run(this.maxWaitMs, check) : await check();
    } catch (error) {
      health = { ok: false, detail: error instanceof Error ? error.message : 'the check failed' };
    }
    if (!health.ok) {
      this.options.log?.warn(
        { upstreamStatus: health.status, reason: health.detail },
        'not ready: the app did not pass its health check',
      );
    }
    this.cached = { ready: health.ok, at: this.clock() };
    return health.ok;
  }
}
