import { type FSWatcher, readFileSync, watch } from 'node:fs';
import type { ServerOptions } from 'node:https';
import { basename, dirname } from 'node:path';
import { Server as TlsServer } from 'node:tls';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { TlsConfig } from '../config/deployment-config.js';

/** The certificate, key and protocol floor, read from disk now. */
export function tlsServerOptions(tls: TlsConfig): ServerOptions {
  return {
    cert: readFileSync(tls.certFile),
    key: readFileSync(tls.keyFile),
    minVersion: tls.minVersion,
  };
}

/** Fastify's `https` option: the TLS settings when configured, null for plain HTTP. */
export function httpsOption(tls: TlsConfig | undefined): ServerOptions | null {
  return tls ? tlsServerOptions(tls) : null;
}

export interface CertificateReloader {
  /**
   * Reads the files again and installs them for new connections; false (and the old
   * certificate kept) when they cannot be read or do not form a valid pair.
   */
  reload(force?: boolean): boolean;
  close(): void;
}

/** Changes are applied this long after the last file event: a renewal writes two files. */
const SETTLE_MS = 200;

/**
 * Keeps the served certificate current without a restart: the directories holding the
 * certificate and key are watched (a watch on the directory survives the rename-into-place that
 * certbot, cert-manager and Kubernetes secret mounts use), and SIGHUP re-reads them on demand.
 * A half-written pair (new certificate, old key) fails to load and the previous one stays in
 * use until the next change completes it.
 */
export function watchCertificate(
  server: TlsServer,
  tls: TlsConfig,
  log: FastifyBaseLogger,
  options: { sighup?: boolean } = {},
): CertificateReloader {
  let current = fingerprint(tls);
  let timer: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = [];
  const names = new Set([basename(tls.certFile), basename(tls.keyFile)]);

  const reload = (force = false): boolean => {
    let options: ServerOptions;
    try {
      options = tlsServerOptions(tls);
    } catch (error) {
      log.error(
        { reason: reasonOf(error) },
        'could not read the TLS certificate or key; keeping the current one',
      );
      return false;
    }
    const next = `${String(options.cert)}\0${String(options.key)}`;
    if (!force && next === current) return true;
    try {
      server.setSecureContext(options);
    } catch (error) {
      log.error(
        { reason: reasonOf(error) },
        'the new TLS certificate and key do not load; keeping the current one',
      );
      return false;
    }
    current = next;
    log.info({ certFile: tls.certFile }, 'TLS certificate reloaded');
    return true;
  };

  const schedule = (file: string | null) => {
    // Kubernetes swaps a `..data` symlink; other tools rename or rewrite the files themselves.
    if (file !== null && !names.has(file) && !file.startsWith('..')) return;
    clearTimeout(timer);
    timer = setTimeout(() => reload(), SETTLE_MS);
    timer.unref();
  };

  for (const directory of new Set([dirname(tls.certFile), dirname(tls.keyFile)])) {
    try {
      const watcher = watch(directory, { persistent: false }, (_event, file) =>
        schedule(file ? String(file) : null),
      );
      watcher.on('error', (error) => log.warn({ reason: reasonOf(error) }, 'stopped watching the TLS files'));
      watchers.push(watcher);
    } catch (error) {
      log.warn(
        { directory, reason: reasonOf(error) },
        'cannot watch the TLS files; send SIGHUP to reload them',
      );
    }
  }
  const onSighup = () => {
    log.info('SIGHUP: reloading the TLS certificate');
    reload(true);
  };
  if (options.sighup !== false) process.on('SIGHUP', onSighup);

  return {
    reload,
    close() {
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
      process.removeListener('SIGHUP', onSighup);
    },
  };
}

/** Starts the reloader once the server listens and stops it when the app closes. */
export function enableCertificateReload(app: FastifyInstance, tls: TlsConfig): void {
  let reloader: CertificateReloader | undefined;
  app.addHook('onListen', async () => {
    const server: unknown = app.server;
    if (server instanceof TlsServer && !reloader) reloader = watchCertificate(server, tls, app.log);
  });
  app.addHook('onClose', async () => {
    reloader?.close();
    reloader = undefined;
  });
}

function fingerprint(tls: TlsConfig): string {
  try {
    return `${readFileSync(tls.certFile, 'utf8')}\0${readFileSync(tls.keyFile, 'utf8')}`;
  } catch {
    return '';
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
