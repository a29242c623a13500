/** One problem in a configuration or mapping file, located so an editor can jump to it. */
export interface ConfigIssue {
  file: string;
  line: number;
  column: number;
  /** Dotted path of the offending value, e.g. `upstream.baseUrl`. */
  path: string;
  message: string;
  fix?: string;
}

/** Thrown at start-up (and by `validate`) with every problem found, not just the first. */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    super(formatIssues(issues));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export function formatIssue(issue: ConfigIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  const at = issue.path ? ` ${issue.path}:` : '';
  const fix = issue.fix ? ` (fix: ${issue.fix})` : '';
  return `${where}${at} ${issue.message}${fix}`;
}

export function formatIssues(issues: ConfigIssue[]): string {
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  return [`${count} found:`, ...issues.map((i) => `  ${formatIssue(i)}`)].join('\n');
}
