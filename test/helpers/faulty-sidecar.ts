/**
 * A sidecar in front of a fault-injecting app (test/helpers/faulty-app.ts): the pairing every
 * fault suite starts from. Retries back off in milliseconds so the suites stay quick.
 */

import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../../src/app.js';
import { MemoryIdMapStore } from '../../src/idmap/memory-store.js';
import type { IdMapStore } from '../../src/idmap/types.js';
import { loadMapping } from '../../src/mapping/load-mapping.js';
import { type FaultyApp, type FaultyAppOptions, startFaultyApp } from './faulty-app.js';
import { DEMO_MAPPING_FILE, deploymentConfig, UPSTREAM_API_KEY } from './sidecar.js';

export interface FaultySidecarOptions extends Omit<FaultyAppOptions, 'apiKey'> {
  /** upstream.timeoutMs of the sidecar. */
  timeoutMs: number;
  /** server.requestDeadlineMs of the sidecar. */
  deadlineMs: number;
  /** A variant of mappings/demo.yaml; the shipped file by default. */
  mappingText?: string;
  /** Default: an in-memory store. */
  idMapStore?: IdMapStore;
}

export interface FaultySidecar {
  upstream: FaultyApp;
  sidecar: FastifyInstance;
  close(): Promise<void>;
}

export async function startFaultySidecar(options: FaultySidecarOptions): Promise<FaultySidecar> {
  const { timeoutMs, deadlineMs, mappingText, idMapStore, ...app } = options;
  const upstream = await startFaultyApp({ apiKey: UPSTREAM_API_KEY, ...app });
  const base = deploymentConfig(upstream.url, DEMO_MAPPING_FILE, { timeoutMs });
  const sidecar = await buildApp(
    { ...base, server: { ...base.server, requestDeadlineMs: deadlineMs } },
    loadMapping(DEMO_MAPPING_FILE, mappingText),
    {
      idMapStore: idMapStore ?? new MemoryIdMapStore(),
      logger: pino({ level: 'silent' }),
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
    },
  );
  await sidecar.ready();
  return {
    upstream,
    sidecar,
    async close() {
      await sidecar.close();
      await upstream.close();
    },
  };
}
