import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ConfigError, formatIssue } from '../config/config-error.js';
import type { DeploymentConfig } from '../config/deployment-config.js';
import { loadConfig } from '../config/load-config.js';
import { loadMapping } from '../mapping/load-mapping.js';
import type { CompiledMapping } from '../mapping/mapping-types.js';
import type { SidecarMetrics } from '../ops/metrics.js';
import { applyReloadable, diffConfig, isReloadable } from './config-diff.js';
import { watchFiles } from './file-watch.js';
import { createGeneration, type SharedParts } from './generation.js';
import type { RuntimeHolder } from './runtime-holder.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Re-reads config.yaml and the mapping on demand (SIGHUP, file changes, tests). */
    reloader: Reloader;
  }
}

/** What a reload did. */
export interface ReloadOutcome {
  ok: boolean;
  /** Reloadable settings that changed and are now in use (the mapping is always re-read). */
  applied: string[];
  /** Settings that changed but need a restart: still running with their old values. */
  restartRequired: string[];
  /** Every problem found in the files (file:line:column path: message (fix)); empty when ok. */
  problems: string[];
}

export interface ReloaderOptions {
  holder: RuntimeHolder;
  shared: SharedParts;
  log: Logger;
  /** Applies a new log level to the server's loggers. */
  setLogLevel: (level: DeploymentConfig['logging']['level']) => void;
  metrics?: SidecarMetrics;
  env?: NodeJS.ProcessEnv;
}

/**
 * Re-reads config.yaml and the mapping it names. When both are valid, a new generation (mapping,
 * connector, services) becomes current for new requests; requests already running finish on
 * theirs. When either is invalid, nothing changes and every problem is logged. Settings that
 * cannot change while serving are reported and ignored. Reloads run one at a time.
 */
export class Reloader {
  private queue: Promise<unknown> = Promise.resolve();
  private watcher: { close(): void } | undefined;
  /** Fingerprint of the files the current generation was loaded from (skips no-op file events). */
  private loadedFingerprint: string;

  constructor(private readonly options: ReloaderOptions) {
    this.loadedFingerprint = this.fingerprint(options.holder.current.config);
  }

  /** The files a reload reads: config.yaml (when the configuration came from one) and the mapping. */
  files(config: DeploymentConfig = this.options.holder.current.config): string[] {
    return fromFile(config) ? [config.file, config.mapping] : [config.mapping];
  }

  reload(trigger = 'request'): Promise<ReloadOutcome> {
    const run = this.queue.then(() => this.reloadNow(trigger));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Reloads whenever config.yaml or the mapping changes on disk (`server.watch`). */
  watch(): void {
    this.unwatch();
    this.watcher = watchFiles(
      this.files(),
      () => {
        if (this.fingerprint(this.options.holder.current.config) === this.loadedFingerprint) return;
        void this.reload('file change');
      },
      this.options.log,
    );
  }

  unwatch(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private async reloadNow(trigger: string): Promise<ReloadOutcome> {
    const { holder, log, metrics } = this.options;
    const running = holder.current;
    const read = this.read(running.config);
    if ('problems' in read) {
      metrics?.recordReload('failure');
      log.error(
        { trigger, problems: read.problems },
        'configuration reload failed: still serving with the previous configuration and mapping',
      );
      return { ok: false, applied: [], restartRequired: [], problems: read.problems };
    }
    const changed = diffConfig(running.config, read.config);
    const applied = changed.filter(isReloadable);
    const restartRequired = changed.filter((path) => !isReloadable(path));
    const effective = applyReloadable(running.config, read.config);
    let next: ReturnType<typeof createGeneration>;
    try {
      next = createGeneration(effective, read.mapping, this.options.shared, running);
    } catch (error) {
      const problems = [error instanceof Error ? error.message : String(error)];
      metrics?.recordReload('failure');
      log.error({ trigger, problems }, 'configuration reload failed: still serving with the previous one');
      return { ok: false, applied: [], restartRequired: [], problems };
    }
    holder.swap(next);
    if (effective.logging.level !== running.config.logging.level)
      this.options.setLogLevel(effective.logging.level);
    this.loadedFingerprint = this.fingerprint(effective);
    if (this.watcher && effective.mapping !== running.config.mapping) this.watch();
    metrics?.recordReload('success');
    if (restartRequired.length > 0) {
      log.warn(
        { settings: restartRequired },
        'restart required: these settings changed but take effect only after a restart; their running values stay in use',
      );
    }
    log.info(
      { trigger, app: read.mapping.app, mapping: effective.mapping, changed: applied },
      'configuration reloaded',
    );
    return { ok: true, applied, restartRequired, problems: [] };
  }

  /** Both files, with every problem in either (as `validate` reports them). */
  private read(
    running: DeploymentConfig,
  ): { config: DeploymentConfig; mapping: CompiledMapping } | { problems: string[] } {
    const problems: string[] = [];
    let config = running;
    if (fromFile(running)) {
      try {
        config = loadConfig(running.file, this.options.env ?? process.env);
      } catch (error) {
        problems.push(...describe(error));
      }
    }
    // With a broken config.yaml, the mapping in use is still checked, so one reload shows all.
    let mapping: CompiledMapping | undefined;
    try {
      mapping = loadMapping(config.mapping);
    } catch (error) {
      problems.push(...describe(error));
    }
    if (problems.length > 0 || !mapping) return { problems };
    return { config, mapping };
  }

  private fingerprint(config: DeploymentConfig): string {
    const hash = createHash('sha256');
    for (const file of this.files(config)) {
      try {
        hash.update(readFileSync(file));
      } catch {
        hash.update(`unreadable:${file}`);
      }
      hash.update('\0');
    }
    return hash.digest('hex');
  }
}

/** Whether the configuration came from a file (not built in code, like the demo's). */
function fromFile(config: DeploymentConfig): boolean {
  return isAbsolute(config.file);
}

function describe(error: unknown): string[] {
  if (error instanceof ConfigError) return error.issues.map(formatIssue);
  return [error instanceof Error ? error.message : String(error)];
}

/**
 * Reloads on SIGHUP and, with `server.watch`, when the files change; from when the server
 * listens until it closes. Call before `listen`.
 */
export function enableReloadTriggers(app: FastifyInstance, options: { watch: boolean }): void {
  const onSighup = () => {
    app.log.info('SIGHUP: reloading the configuration and the mapping');
    void app.reloader.reload('SIGHUP');
  };
  app.addHook('onListen', async () => {
    process.on('SIGHUP', onSighup);
    if (options.watch) app.reloader.watch();
  });
  app.addHook('onClose', async () => {
    process.removeListener('SIGHUP', onSighup);
    app.reloader.unwatch();
  });
}
