import type { DeploymentConfig } from '../config/deployment-config.js';

/**
 * Settings a reload applies to new requests: the inbound credentials (token rotation), the
 * mapping, the credentials, timeouts, limits and retries toward the app, the log level, the
 * metrics token and whether writes of attributes the mapping cannot store are refused. Every other setting (listen address and port, base path, TLS settings, access
 * rules, the id map store, the audit destination, the metrics path, the app's base URL, which the
 * passthrough also uses) is fixed when the server starts: a change to one is reported as needing
 * a restart and ignored until then.
 */
export const RELOADABLE_SETTINGS = [
  'auth',
  'mapping',
  'upstream.auth',
  'upstream.timeoutMs',
  'upstream.concurrency',
  'upstream.maxQueue',
  'upstream.retries',
  'logging.level',
  'metrics.bearerTokenHash',
  'server.strictAttributes',
] as const;

export function isReloadable(path: string): boolean {
  return RELOADABLE_SETTINGS.some((setting) => path === setting || path.startsWith(`${setting}.`));
}

/**
 * The dotted paths of the settings that differ between two configurations (leaves, or the
 * first level where one side has a value the other lacks). Values are never part of the result,
 * so it can be logged: some are secrets.
 */
export function diffConfig(before: DeploymentConfig, after: DeploymentConfig): string[] {
  const out: string[] = [];
  walk(before, after, '', out);
  return out.filter((path) => path !== 'file');
}

function walk(a: unknown, b: unknown, path: string, out: string[]): void {
  if (isRecord(a) && isRecord(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      walk(a[key], b[key], path ? `${path}.${key}` : key, out);
    }
    return;
  }
  if (!sameValue(a, b)) out.push(path);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) && Array.isArray(b)) {
    return (
      a.length === b.length &&
      a.every((item, i) => (isRecord(item) ? sameShape(item, b[i]) : sameValue(item, b[i])))
    );
  }
  return Object.is(a, b);
}

/** Array items that are objects are compared whole: any difference inside is a difference. */
function sameShape(a: Record<string, unknown>, b: unknown): boolean {
  if (!isRecord(b)) return false;
  const inner: string[] = [];
  walk(a, b, '', inner);
  return inner.length === 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/**
 * The configuration a reload puts in effect: the running one, with the reloadable settings taken
 * from the new file (and removed where the new file no longer has them).
 */
export function applyReloadable(running: DeploymentConfig, next: DeploymentConfig): DeploymentConfig {
  const out = structuredClone(running);
  for (const setting of RELOADABLE_SETTINGS) {
    const keys = setting.split('.');
    const last = keys.pop() as string;
    let source: unknown = next;
    for (const key of keys) source = isRecord(source) ? source[key] : undefined;
    const value = isRecord(source) ? source[last] : undefined;
    let target: Record<string, unknown> | undefined = out as unknown as Record<string, unknown>;
    for (const key of keys) {
      if (!target) break;
      if (!isRecord(target[key])) {
        if (value === undefined) {
          target = undefined;
          break;
        }
        target[key] = {};
      }
      target = target[key] as Record<string, unknown>;
    }
    if (!target) continue;
    if (value === undefined) delete target[last];
    else target[last] = structuredClone(value);
  }
  return out;
}
