import { dirname, resolve } from 'node:path';
import { ConfigError, type ConfigIssue, formatIssue } from '../config/config-error.js';
import { loadConfig } from '../config/load-config.js';
import { readYamlSource } from '../config/yaml-source.js';
import { loadMapping } from '../mapping/load-mapping.js';

/**
 * `scim-sidecar validate --config <file>`: the same checks as start-up, config and mapping,
 * every problem listed with file:line and the fix. Returns the report and whether it passed.
 */
export function validateCommand(
  configFile: string,
  env: NodeJS.ProcessEnv = process.env,
): { ok: boolean; report: string } {
  const problems: string[] = [];
  let mappingFile: string | undefined;
  try {
    mappingFile = loadConfig(configFile, env).mapping;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(error.message);
    // Check the mapping too, so one run shows every problem in both files.
    mappingFile = mappingPathOf(configFile);
  }
  if (mappingFile) {
    try {
      const mapping = loadMapping(mappingFile);
      const types = Object.keys(mapping.resources).join(', ');
      if (problems.length === 0) {
        const ok = `OK: ${configFile} and ${mappingFile} (${mapping.app}: ${types})\n`;
        return { ok: true, report: `${ok}${formatWarnings(mapping.warnings ?? [])}` };
      }
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error.message);
    }
  }
  return { ok: false, report: `${problems.join('\n')}\n` };
}

/** What is legal but probably not meant, after the OK line; nothing when there is none. */
function formatWarnings(warnings: ConfigIssue[]): string {
  if (warnings.length === 0) return '';
  const count = warnings.length === 1 ? '1 warning' : `${warnings.length} warnings`;
  return `${[`${count}:`, ...warnings.map((w) => `  ${formatIssue(w)}`)].join('\n')}\n`;
}

/** The mapping file a config names, read without validating the rest of the config. */
function mappingPathOf(configFile: string): string | undefined {
  try {
    const data = readYamlSource(resolve(configFile)).data;
    const mapping =
      typeof data === 'object' && data !== null ? (data as { mapping?: unknown }).mapping : undefined;
    return typeof mapping === 'string' && !mapping.includes('${')
      ? resolve(dirname(resolve(configFile)), mapping)
      : undefined;
  } catch {
    return undefined;
  }
}
