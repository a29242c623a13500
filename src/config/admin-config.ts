import type { ConfigIssue } from './config-error.js';
import { ADMIN_DEFAULTS, type AdminConfig, DEFAULTS } from './deployment-config.js';
import type { YamlSource } from './yaml-source.js';

/** The `admin:` section as config.schema.json accepts it. */
export interface RawAdmin {
  enabled?: boolean;
  path?: string;
  tokenHash?: string;
  basic?: { username: string; passwordHash: string };
  sessionMinutes?: number;
  activitySize?: number;
  notifications?: {
    webhook: string;
    format?: 'json' | 'slack' | 'teams';
    threshold?: number;
    windowSec?: number;
    quietSec?: number;
  };
}

/** What the admin checks need from the rest of the file. */
export interface AdminContext {
  basePath?: string;
  metricsPath?: string;
  scimTokenHashes: string[];
  scimPasswordHash?: string;
}

/**
 * The checks a schema cannot express: an enabled console needs a credential of its own (never a
 * SCIM one: the IdP's token must not open it), and a path that shadows nothing else served.
 */
export function adminIssues(
  source: YamlSource,
  raw: RawAdmin | undefined,
  context: AdminContext,
): ConfigIssue[] {
  if (!raw?.enabled) return [];
  const issues: ConfigIssue[] = [];
  if (raw.tokenHash === undefined && raw.basic === undefined) {
    issues.push(
      source.issue(
        ['admin'],
        'the console is enabled without a credential',
        'add admin.tokenHash (from `scim-sidecar token --name admin`) or admin.basic',
      ),
    );
  }
  if (raw.tokenHash !== undefined && context.scimTokenHashes.includes(raw.tokenHash)) {
    issues.push(
      source.issue(
        ['admin', 'tokenHash'],
        'is the hash of a SCIM token: the IdP could open the console',
        'create a token of its own with `scim-sidecar token --name admin`',
      ),
    );
  }
  if (raw.basic !== undefined && raw.basic.passwordHash === context.scimPasswordHash) {
    issues.push(
      source.issue(
        ['admin', 'basic', 'passwordHash'],
        'is the SCIM basic password: the IdP could open the console',
        'hash a password of its own with `scim-sidecar token --basic`',
      ),
    );
  }
  const path = (raw.path ?? ADMIN_DEFAULTS.path).toLowerCase();
  const basePath = (context.basePath ?? DEFAULTS.basePath).toLowerCase();
  const metricsPath = (context.metricsPath ?? DEFAULTS.metricsPath).toLowerCase();
  const overlaps = (other: string) =>
    path === other || path.startsWith(`${other}/`) || other.startsWith(`${path}/`);
  if (overlaps(basePath) || overlaps(metricsPath) || overlaps('/healthz') || overlaps('/readyz')) {
    issues.push(
      source.issue(
        ['admin', 'path'],
        'overlaps the SCIM base path, the metrics path or a health endpoint',
        'use a path of its own, e.g. /admin',
      ),
    );
  }
  return issues;
}

/** The validated section with its defaults; undefined when the console is off. */
export function adminConfig(raw: RawAdmin | undefined): AdminConfig | undefined {
  if (!raw?.enabled) return undefined;
  const notifications = raw.notifications;
  const defaults = ADMIN_DEFAULTS.notifications;
  return {
    enabled: true,
    path: raw.path ?? ADMIN_DEFAULTS.path,
    ...(raw.tokenHash ? { tokenHash: raw.tokenHash } : {}),
    ...(raw.basic ? { basic: { ...raw.basic } } : {}),
    sessionMinutes: raw.sessionMinutes ?? ADMIN_DEFAULTS.sessionMinutes,
    activitySize: raw.activitySize ?? ADMIN_DEFAULTS.activitySize,
    ...(notifications
      ? {
          notifications: {
            webhook: notifications.webhook,
            format: notifications.format ?? defaults.format,
            threshold: notifications.threshold ?? defaults.threshold,
            windowSec: notifications.windowSec ?? defaults.windowSec,
            quietSec: notifications.quietSec ?? defaults.quietSec,
          },
        }
      : {}),
  };
}
