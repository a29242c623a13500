/**
 * The built CLI (`dist/cli/main.js`) and npm as child processes, the way a user runs them:
 * output collected, a line waited for, signals sent by PID, the exit awaited. Every process
 * started here is stopped by {@link stopAll} (call it in afterAll/afterEach).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface Started {
  child: ChildProcess;
  pid: number;
  /** Everything written so far to stdout and stderr. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout+stderr, waiting up to `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Exit code and signal, once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();
/** Children started in a process group of their own (npm and what it starts), killed as a group. */
const groups = new Set<ChildProcess>();

/** Variables that make a child think it runs under vitest; never passed on. */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(VITEST|TEST$|NODE_ENV$|LOG_LEVEL$|HOST$|PORT$|SCIM_TOKEN|APP_|npm_)/.test(name))
      env[name] = value;
  }
  return { ...env, ...extra };
}

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Its own process group, so that {@link stopAll} also ends what it started. */
  group?: boolean;
}

/** Starts `command args` with the environment of the tests minus vitest's, plus `env`. */
export function start(command: string, args: string[], options: StartOptions = {}): Started {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: cleanEnv(options.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.group === true,
  });
  running.add(child);
  if (options.group) groups.add(child);
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of waiters) waiter();
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    notify();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
    notify();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      running.delete(child);
      notify();
      resolve({ code, signal });
    });
  });
  const waitFor = (pattern: RegExp, timeoutMs = 15_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = `${out}\n${err}`.match(pattern);
        if (match) {
          done();
          resolve(match);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(
            new Error(`exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${out}\n${err}`),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${out}\n${err}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  return { child, pid: child.pid, stdout: () => out, stderr: () => err, waitFor, exited };
}

/** `node dist/cli/main.js <args>`: the `scim-sidecar` command. */
export function startCli(args: string[], options: StartOptions = {}): Started {
  return start(process.execPath, [CLI, ...args], options);
}

/** Runs the CLI to its end: exit code, stdout, stderr. */
export async function runCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const started = startCli(args, options);
  const { code } = await started.exited;
  return { code, stdout: started.stdout(), stderr: started.stderr() };
}

/** npm as the user types it (`npm start`), with the npm that runs these tests when known. */
export function startNpm(args: string[], options: StartOptions = {}): Started {
  const npmCli = process.env.npm_execpath;
  const grouped = { ...options, group: true };
  return npmCli?.endsWith('.js')
    ? start(process.execPath, [npmCli, ...args], grouped)
    : start('npm', args, grouped);
}

/** A port nothing listens on right now (bound to port 0 and released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** Whether something accepts connections on host:port. */
export function listening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Whether a process with this PID exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Kills, by PID, every process started here that is still running, and what the grouped ones
 * started (by their process group, whose id is their PID).
 */
export async function stopAll(): Promise<void> {
  for (const child of groups) {
    groups.delete(child);
    if (child.pid === undefined) continue;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
  }
  await Promise.all(
    [...running].map(async (child) => {
      const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
      try {
        if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
      } catch {
        // It ended in the meantime.
      }
      await closed;
    }),
  );
}
