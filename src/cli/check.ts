import { randomBytes } from 'node:crypto';
import { buildApp } from '../app.js';
import type { DeploymentConfig } from '../config/deployment-config.js';
import { loadConfig } from '../config/load-config.js';
import { MemoryIdMapStore } from '../idmap/memory-store.js';
import { loadMapping } from '../mapping/load-mapping.js';
import type { CompiledMapping } from '../mapping/mapping-types.js';
import { createLogger } from '../ops/logger.js';
import { resourceSchemas } from '../runtime/generation.js';
import type { ResourceSchema } from '../scim/schema-types.js';
import { generateToken, hashToken } from '../security/credentials.js';
import type { RoundTripSchemas } from '../service/round-trip.js';
import { type CycleOptions, cycleNames, runCycle, type ScimCaller, type StepResult } from './check-cycle.js';
import { formatStep, formatSummary } from './check-report.js';
import {
  type CheckRecording,
  type CheckTransport,
  liveTransport,
  RECORDING_FORMAT,
  readRecording,
  replayTransport,
  writeRecording,
} from './check-transport.js';

export interface CheckOptions {
  /** Save the app's answers to this file. */
  record?: string;
  /** Answer the adapter's calls from this recording: no app is contacted. */
  replay?: string;
  /** Where the report goes, as it is written. */
  write: (text: string) => void;
}

export interface CheckResult {
  ok: boolean;
  steps: StepResult[];
  recording: CheckRecording;
}

/** The SCIM client the check stands for: Microsoft Entra's provisioning service. */
const USER_AGENT = 'scim-sidecar check (Microsoft Entra-style requests)';

/**
 * `scim-sidecar check --config <file> [--record FILE | --replay FILE]`: a short provisioning
 * cycle against the real app through the real adapter (an in-memory id map, the config's
 * mapping and credentials), printing each SCIM request, the app calls it made with the app's
 * answers, and the SCIM answer; every write is read back and compared. Returns the exit status.
 */
export async function checkCommand(
  configFile: string,
  options: CheckOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  if (options.record && options.replay) throw new Error('check takes --record or --replay, not both');
  const config = loadConfig(configFile, env);
  const { ok } = await runCheck(config, loadMapping(config.mapping), options);
  return ok ? 0 : 1;
}

/** The check on an already loaded config and mapping (tests call this). */
export async function runCheck(
  config: DeploymentConfig,
  mapping: CompiledMapping,
  options: CheckOptions,
): Promise<CheckResult> {
  const replayed = options.replay ? readRecording(options.replay) : undefined;
  const baseUrl = replayed?.baseUrl ?? config.upstream.baseUrl;
  const transport: CheckTransport = replayed
    ? replayTransport(replayed)
    : liveTransport(config.upstream.timeoutMs);
  const suffix = replayed?.cycle.suffix ?? randomBytes(4).toString('hex');
  const token = generateToken();
  const log: string[] = [];
  const logger = createLogger('warn', { write: (line: string) => void log.push(line) });
  const app = await buildApp(checkConfig(config, token, baseUrl), mapping, {
    dispatcher: transport.dispatcher,
    idMapStore: new MemoryIdMapStore(),
    logger,
    auditLogger: null,
  }).catch(async (error: unknown) => {
    await transport.close();
    throw error;
  });
  const basePath = config.server.basePath;
  const scim: ScimCaller = async (method, path, body) => {
    const response = await app.inject({
      method,
      url: `${basePath}${path}`,
      headers: {
        authorization: `Bearer ${token}`,
        'user-agent': USER_AGENT,
        ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    return { status: response.statusCode, body: parse(response.body) };
  };

  const types = Object.keys(mapping.resources).join(', ');
  options.write(
    `scim-sidecar check: ${mapping.app} (${mapping.file}) against ${baseUrl}, ` +
      (replayed
        ? `replaying ${options.replay} (recorded ${replayed.recordedAt}): no call reaches the app\n`
        : 'live: these calls reach the app\n') +
      `user ${cycleNames(suffix).userName}; resources: ${types}\n\n`,
  );
  let steps: StepResult[] = [];
  try {
    await app.ready();
    let logged = 0;
    steps = await runCycle(scim, transport, {
      suffix,
      ...schemasOf(mapping),
      onStep: (step) => {
        options.write(formatStep(step, basePath));
        for (const line of log.slice(logged)) {
          const text = logLine(line);
          if (text !== undefined) options.write(`   adapter log: ${text}\n`);
        }
        logged = log.length;
        options.write('\n');
      },
    });
  } finally {
    await app.close();
    await transport.close();
  }
  options.write(formatSummary(steps, transport.divergences));
  const recording: CheckRecording = {
    format: RECORDING_FORMAT,
    app: mapping.app,
    baseUrl,
    recordedAt: replayed?.recordedAt ?? new Date().toISOString(),
    cycle: { suffix },
    exchanges: transport.exchanges,
  };
  if (options.record) {
    writeRecording(options.record, recording);
    options.write(`Recorded ${recording.exchanges.length} app calls to ${options.record}\n`);
  }
  const ok =
    transport.divergences.length === 0 &&
    steps.every((step) => step.outcome === 'as written' || step.outcome === 'skipped');
  return { ok, steps, recording };
}

/**
 * What a check runs on: the deployment's app side (upstream, its credentials, the mapping, the
 * server's base path and limits) and nothing that reaches out or stays behind. Its own token
 * instead of the deployment's; an id map in memory (the check's SCIM ids end with it); no TLS,
 * file watching, allow-list, failure throttle, audit trail or optional sections (metrics, admin
 * console and its notifications).
 */
function checkConfig(config: DeploymentConfig, token: string, baseUrl: string): DeploymentConfig {
  const { tls: _tls, watch: _watch, allowList: _allowList, ...server } = config.server;
  return {
    file: config.file,
    server: { ...server, authThrottle: { maxFailures: 0, windowSec: 60, blockSec: 60 } },
    auth: { bearer: { tokens: [{ name: 'scim-sidecar-check', hash: hashToken(token) }] } },
    upstream: { ...config.upstream, baseUrl },
    mapping: config.mapping,
    idMap: { ...config.idMap, store: 'memory' },
    logging: { level: 'warn', audit: 'off' },
  };
}

function schemasOf(mapping: CompiledMapping): Pick<CycleOptions, 'schemas' | 'enterprise'> {
  const full = resourceSchemas(mapping, false);
  const advertised = resourceSchemas(mapping, true);
  const pair = (type: 'User' | 'Group'): RoundTripSchemas | undefined =>
    full[type] && advertised[type]
      ? { full: full[type] as ResourceSchema, advertised: advertised[type] as ResourceSchema }
      : undefined;
  const user = pair('User');
  if (!user) throw new Error(`${mapping.file} maps no User: check needs one`);
  const group = pair('Group');
  return {
    schemas: group ? { User: user, Group: group } : { User: user },
    enterprise: mapping.resources.User?.enterpriseExtension === true,
  };
}

/**
 * A pino line as `message {fields}`, without the fields every line has; undefined for the
 * warning about attributes the mapping cannot store, which the step's note already gives.
 */
function logLine(line: string): string | undefined {
  try {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    const {
      msg,
      level: _level,
      time: _time,
      pid: _pid,
      hostname: _host,
      service: _service,
      reqId: _req,
      err,
      ...rest
    } = parsed;
    // An error's message says what went wrong; its stack is for the adapter's own developers.
    if (typeof err === 'object' && err !== null && 'message' in err)
      rest.error = (err as { message: unknown }).message;
    if (String(msg).startsWith('accepted a write with attributes')) return undefined;
    const fields = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
    return `${String(msg)}${fields}`;
  } catch {
    return line.trim();
  }
}

function parse(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
