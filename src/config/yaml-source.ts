import { readFileSync } from 'node:fs';
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue } from './config-error.js';

export type PathSegment = string | number;

/** A parsed YAML file that can still tell where each value came from. */
export interface YamlSource {
  file: string;
  data: unknown;
  /** Line and column (1-based) of the value at `path`, or of its closest existing parent. */
  locate(path: PathSegment[], key?: boolean): { line: number; column: number };
  issue(path: PathSegment[], message: string, fix?: string, options?: { atKey?: boolean }): ConfigIssue;
}

/** Reads and parses a YAML file; syntax errors are reported all at once with their positions. */
export function readYamlSource(file: string, text?: string): YamlSource {
  let content: string;
  try {
    content = text ?? readFileSync(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new ConfigError([
      {
        file,
        line: 1,
        column: 1,
        path: '',
        message: `cannot read the file (${reason})`,
        fix: 'check the path',
      },
    ]);
  }
  return parseYamlSource(file, content);
}

export function parseYamlSource(file: string, content: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(content, { lineCounter, prettyErrors: false, uniqueKeys: true });
  // The first syntax error only: the parser's later errors are mostly its consequences (one
  // unquoted `{appId}` in a `{ ... }` map yields hundreds), and they bury the one that matters.
  const first = [...doc.errors].sort((a, b) => a.pos[0] - b.pos[0])[0];
  if (first) {
    const pos = lineCounter.linePos(first.pos[0]);
    const more = doc.errors.length - 1;
    const after =
      more === 0
        ? ''
        : ` (${more} more YAML error${more === 1 ? '' : 's'} after it, most likely caused by it)`;
    const issue: ConfigIssue = {
      file,
      line: pos.line,
      column: pos.col,
      path: '',
      message: `YAML syntax: ${firstLine(first.message)}${after}`,
    };
    const fix = quotingFix(content.split(/\r?\n/)[pos.line - 1] ?? '');
    if (fix) issue.fix = fix;
    throw new ConfigError([issue]);
  }
  const locate = (path: PathSegment[], key = false) => {
    const node = findNode(doc, path, key);
    const offset = node?.range?.[0] ?? 0;
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  return {
    file,
    data: doc.toJS({ maxAliasCount: 100 }),
    locate,
    issue(path, message, fix, options) {
      const { line, column } = locate(path, options?.atKey ?? false);
      const issue: ConfigIssue = { file, line, column, path: formatPath(path), message };
      if (fix) issue.fix = fix;
      return issue;
    },
  };
}

/** Walks down the document as far as the path exists; returns the deepest node found. */
function findNode(doc: Document, path: PathSegment[], key: boolean): Node | undefined {
  let current: unknown = doc.contents;
  let found: Node | undefined = isNode(current) ? current : undefined;
  for (const [index, segment] of path.entries()) {
    const isLast = index === path.length - 1;
    if (isMap(current)) {
      const pair = current.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) return found;
      if (isLast && key && isNode(pair.key)) return pair.key;
      current = pair.value;
    } else if (isSeq(current) && typeof segment === 'number') {
      current = current.items[segment];
    } else {
      return found;
    }
    if (isNode(current)) found = current;
  }
  return found;
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && 'range' in value;
}

export function formatPath(path: PathSegment[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/**
 * Inside a `{ ... }` map, `{`, `}` and `,` end a plain value: `path: /users/{appId}` must be
 * quoted there. The fix names the first such value on the line.
 */
function quotingFix(line: string): string | undefined {
  if (!/:\s*\{/.test(line)) return undefined;
  const value = /([\w-]+):[ \t]+([^'"\s{[,][^,]*?\{[^,}]*\}[^,}]*)/.exec(line);
  if (!value?.[1] || !value[2]) return undefined;
  return `quote the value: ${value[1]}: '${value[2].trim()}' (in a { ... } map, an unquoted { } or , ends the value)`;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
