import type { DeploymentConfig } from '../config/deployment-config.js';
import type { Connector } from '../connector/connector.js';
import type { UpstreamClient } from '../connector/upstream-client.js';
import type { CompiledMapping, ResourceTypeName } from '../mapping/mapping-types.js';
import type { ResourceService } from '../service/resource-service.js';

/** What the console reads from the running server: the parts a reload replaces. */
export interface LiveParts {
  readonly config: DeploymentConfig;
  readonly mapping: CompiledMapping;
  readonly client: UpstreamClient;
  readonly connector: Connector;
  readonly services: Partial<Record<ResourceTypeName, ResourceService>>;
}

/** The outcome of the last reload, as the Status page shows it. */
export interface ReloadRecord {
  time: string;
  trigger: string;
  ok: boolean;
  applied: string[];
  restartRequired: string[];
  /** How many problems the files had (their text, which may quote values, is in the log). */
  problems: number;
}
