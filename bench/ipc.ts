/**
 * The runner drives its child processes (legacy app, passthrough, sidecar) over the Node IPC
 * channel, never over the HTTP ports being measured: readiness, memory samples, call counts,
 * seeding the app's store and shutdown.
 */
import { type ChildProcess, fork } from 'node:child_process';

export interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
  /** CPU time the process has used so far (user + system), microseconds. */
  cpuMicros: number;
  /** The system (kernel) part of it: syscalls such as socket writes and fsync. */
  cpuSystemMicros: number;
}

/** Upstream calls seen by the legacy app, by route key (`GET /api/accounts/:id`). */
export interface CallCounts {
  counts: Record<string, number>;
  /** The first request per route key since the previous read: URL and body, to compare both sides. */
  samples: Record<string, string>;
}

export interface SeededAccount {
  id: number;
  login: string;
  first_name: string;
  last_name: string;
  email: string;
  title: string;
  department: string;
}

/**
 * The account a seed request creates as number `i` under `prefix`: the app record the sidecar
 * writes for the Entra body of the same user (`entraUser` in workloads.ts), so a record seeded in
 * the app and one created through SCIM look alike.
 */
export function seededAccount(prefix: string, i: number): Omit<SeededAccount, 'id'> {
  const login = `${prefix}.${i}@contoso.example`;
  return {
    login,
    first_name: `Given${i}`,
    last_name: `Family${i}`,
    email: login,
    title: 'Engineer',
    department: 'Research',
  };
}

export type Request =
  | { type: 'memory' }
  | { type: 'counts' }
  /** Accounts `seededAccount(prefix, 0 … count-1)`, created in the app's store directly. */
  | { type: 'seedAccounts'; prefix: string; count: number }
  /** Teams `${prefix}-0 … count-1`, each holding `members` (account ids). */
  | { type: 'seedTeams'; prefix: string; count: number; members: number[] }
  | { type: 'stop' };

interface Replies {
  memory: MemorySample;
  counts: CallCounts;
  /** The app ids, in order. */
  seedAccounts: { ids: number[] };
  seedTeams: { ids: number[] };
  stop: { stopped: true };
}

type Envelope = { id: number; request: Request };
type ReplyEnvelope = { id: number; reply?: unknown; error?: string };
type Ready = { ready: string };

/** A forked bench process listening on `url`. */
export class BenchChild {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private exited = false;

  private constructor(
    readonly name: string,
    readonly process: ChildProcess,
    readonly url: string,
  ) {
    process.on('message', (message: ReplyEnvelope) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) waiter.reject(new Error(`${name}: ${message.error}`));
      else waiter.resolve(message.reply);
    });
    process.once('exit', (code, signal) => {
      this.exited = true;
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`${name} exited (${signal ?? code}) with a request pending`));
      }
      this.pending.clear();
    });
  }

  /**
   * Forks `script`, resolves once it reports the URL it listens on. `stdout`: a file descriptor
   * the child's standard output goes to (its log), instead of this process's.
   */
  static start(
    name: string,
    script: string,
    args: string[],
    options: { execArgv?: string[]; execPath?: string; stdout?: number } = {},
  ): Promise<BenchChild> {
    const child = fork(script, args, {
      execArgv: options.execArgv ?? [],
      ...(options.execPath ? { execPath: options.execPath } : {}),
      stdio: ['ignore', options.stdout ?? 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`${name} exited with ${code} before it was ready`));
      child.once('exit', onExit);
      child.once('error', reject);
      child.once('message', (message: Ready) => {
        child.off('exit', onExit);
        resolve(new BenchChild(name, child, message.ready));
      });
    });
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  ask<T extends Request>(request: T): Promise<Replies[T['type']]> {
    if (this.exited) return Promise.reject(new Error(`${this.name} is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: (value) => resolve(value as Replies[T['type']]), reject });
      this.process.send({ id, request } satisfies Envelope);
    });
  }

  /** Asks the child to close its server and exit; kills it by PID if it does not within 5 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    this.ask({ type: 'stop' }).catch(() => undefined);
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  /** Last resort on the runner's own exit. */
  kill(): void {
    if (!this.exited) this.process.kill('SIGKILL');
  }
}

/**
 * The child side: report readiness, answer requests. `stop` runs `close` and then exits the
 * process (so `--cpu-prof` writes its profile).
 */
export function serveParent(
  url: string,
  handlers: { [K in Exclude<Request['type'], 'stop'>]?: (request: Extract<Request, { type: K }>) => unknown },
  close: () => Promise<void>,
): void {
  const send = (message: ReplyEnvelope | Ready) => process.send?.(message);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= close()
      .catch((error: unknown) => console.error(error))
      .finally(() => process.exit(0));
    return stopping;
  };
  process.on('message', async (message: Envelope) => {
    const { id, request } = message;
    try {
      if (request.type === 'stop') {
        await stop();
        return;
      }
      if (request.type === 'memory') {
        const { rss, heapUsed, external } = process.memoryUsage();
        const { user, system } = process.cpuUsage();
        send({ id, reply: { rss, heapUsed, external, cpuMicros: user + system, cpuSystemMicros: system } });
        return;
      }
      const handler = handlers[request.type] as ((r: Request) => unknown) | undefined;
      if (!handler) throw new Error(`no handler for ${request.type}`);
      send({ id, reply: await handler(request) });
    } catch (error) {
      send({ id, error: error instanceof Error ? error.message : String(error) });
    }
  });
  // The runner went away without a stop: do not linger.
  process.on('disconnect', () => {
    stop();
  });
  send({ ready: url });
}

export function argValue(args: string[], name: string): string {
  const index = args.indexOf(name);
  const value = index === -1 ? undefined : args[index + 1];
  if (value === undefined) throw new Error(`missing ${name}`);
  return value;
}
