import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';

/** Changes are acted on this long after the last file event: editors write in several steps. */
const SETTLE_MS = 300;

/**
 * Calls `onChange` shortly after any of `files` changes. The directories are watched, not the
 * files: that survives editors that write a new file and rename it into place, and the `..data`
 * symlink swap Kubernetes uses to update a mounted ConfigMap or Secret.
 */
export function watchFiles(files: string[], onChange: () => void, log: Logger): { close(): void } {
  const names = new Set(files.map((file) => basename(file)));
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  const schedule = (file: string | null) => {
    if (file !== null && !names.has(file) && !file.startsWith('..')) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, SETTLE_MS);
    timer.unref();
  };
  for (const directory of new Set(files.map((file) => dirname(file)))) {
    try {
      const watcher = watch(directory, { persistent: false }, (_event, file) =>
        schedule(file ? String(file) : null),
      );
      watcher.on('error', (error) =>
        log.warn({ directory, reason: error.message }, 'stopped watching the configuration files'),
      );
      watchers.push(watcher);
    } catch (error) {
      log.warn(
        { directory, reason: error instanceof Error ? error.message : String(error) },
        'cannot watch the configuration files; send SIGHUP to reload them',
      );
    }
  }
  return {
    close() {
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}
