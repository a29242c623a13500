import type { ConfigIssue } from './config-error.js';
import type { PathSegment, YamlSource } from './yaml-source.js';

const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string value, so secrets come from the
 * environment and never sit in the file. `$${` escapes a literal `${`. Unset variables without
 * a default are reported as issues, all of them at once.
 */
export function expandEnv(
  source: YamlSource,
  env: NodeJS.ProcessEnv,
): { data: unknown; issues: ConfigIssue[]; expanded: Set<string> } {
  const issues: ConfigIssue[] = [];
  /** JSON pointers of values that came from the environment (strings that may stand for numbers). */
  const fromEnvironment = new Set<string>();
  const walk = (value: unknown, path: PathSegment[]): unknown => {
    if (typeof value === 'string') return expandString(value, path);
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
    if (typeof value === 'object' && value !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = walk(v, [...path, k]);
      return out;
    }
    return value;
  };
  const expandString = (text: string, path: PathSegment[]): string => {
    if (!text.includes('${')) return text;
    fromEnvironment.add(toPointer(path));
    const placeholder = '\u0000';
    const escaped = text.replaceAll('$${', placeholder);
    const expanded = escaped.replace(ENV_REFERENCE, (_match, name: string, fallback: string | undefined) => {
      const fromEnv = env[name];
      if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
      if (fallback !== undefined) return fallback;
      issues.push(
        source.issue(path, `environment variable ${name} is not set`, `export ${name}=... before starting`),
      );
      return '';
    });
    return expanded.replaceAll(placeholder, '${');
  };
  return { data: walk(source.data, []), issues, expanded: fromEnvironment };
}

export function toPointer(path: PathSegment[]): string {
  return path.map((s) => `/${String(s).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}
