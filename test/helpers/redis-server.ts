/**
 * A throwaway redis-server for tests: its own process on a free 127.0.0.1 port, no persistence,
 * stopped by its PID. redis-server cannot pick a free port itself (`--port 0` disables TCP), so
 * one is found by binding a socket to port 0 and closing it, retried if someone else takes it
 * in between.
 *
 * Suites that need it are declared with {@link describeWithRedis}: on a machine without
 * redis-server they are skipped, with one line per run saying what to install, unless
 * REQUIRE_REDIS=1 (`.ci/run` sets it), where they fail instead, so CI never skips them.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe } from 'vitest';
import {
  REDIS_SERVER_BIN as BINARY,
  INSTALL_HINT,
  probeRedisServer,
  redisSuitePolicy,
} from './redis-policy.js';

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` (with the password when one was required). */
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** Start with `--requirepass`: clients must AUTH with it. */
  password?: string;
}

/**
 * `describe` for a suite that starts a redis-server. Where Redis is not installed it is skipped
 * (the integration tests' global setup, test/helpers/redis-notice.ts, says so in one line per
 * run), and under REQUIRE_REDIS=1 it fails instead.
 */
export function describeWithRedis(name: string, body: () => void): void {
  const policy = redisSuitePolicy({ ...probeRedisServer(), env: process.env });
  if (policy.mode === 'fail') throw new Error(policy.message);
  (policy.mode === 'skip' ? describe.skip : describe)(name, body);
}

function assertInstalled(): void {
  const { installed, probe } = probeRedisServer();
  if (!installed) {
    throw new Error(
      `redis-server is not installed (running "${BINARY} --version" failed: ${probe}). ` +
        `These tests need a real Redis: ${INSTALL_HINT}.`,
    );
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

/** Resolves once the server answers PING (or NOAUTH, which also proves it is up). */
async function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(500);
    let reply = '';
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
      }
    });
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(false));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  }, 5_000);
  await exited;
  clearTimeout(timer);
}

async function tryStart(port: number, options: RedisServerOptions): Promise<RedisServer | undefined> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
  ];
  if (options.password !== undefined) args.push('--requirepass', options.password);
  const child = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      // Most likely the port was taken between freePort() and now: the caller tries another.
      if (/address already in use/i.test(output)) return undefined;
      throw new Error(`redis-server exited with ${child.exitCode ?? child.signalCode}: ${output.trim()}`);
    }
    if (await answersPing(port)) {
      const auth = options.password !== undefined ? `:${encodeURIComponent(options.password)}@` : '';
      return {
        url: `redis://${auth}127.0.0.1:${port}`,
        port,
        pid: child.pid ?? -1,
        stop: () => stopProcess(child),
      };
    }
    await sleep(25);
  }
  await stopProcess(child);
  throw new Error(`redis-server did not answer on port ${port} within 10 s: ${output.trim()}`);
}

/** Starts a redis-server; call `stop()` in afterAll. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  assertInstalled();
  for (let attempt = 0; attempt < 5; attempt++) {
    const server = await tryStart(await freePort(), options);
    if (server) return server;
  }
  throw new Error('redis-server could not find a free port in 5 attempts');
}
