import type { ScimExchange, StepResult } from './check-cycle.js';
import type { AppExchange } from './check-transport.js';

/** App answers longer than this are cut in the printout (`--record` keeps them whole). */
const MAX_APP_BODY = 1_500;
/** Response headers worth showing: where a record is, paging (totals, links, cursors), back-off. */
const SHOWN_HEADERS = /^(location|retry-after|link)$|^x-.*(total|count|page|cursor|next)/;
const INDENT = '      ';

/** One step as text: each SCIM request, the app calls it made with their answers, the SCIM answer, the verdict. */
export function formatStep(step: StepResult, basePath: string): string {
  if (step.outcome === 'skipped')
    return `${step.number}. ${step.title}: skipped (${step.notes.join('; ')})\n`;
  const lines = [`${step.number}. ${step.title}`];
  for (const exchange of step.exchanges) lines.push(...formatExchange(exchange, basePath));
  const verdict = VERDICTS[step.outcome];
  lines.push(`   ${verdict}`);
  for (const finding of step.findings) lines.push(`     - ${finding}`);
  for (const note of step.notes) lines.push(`     note: ${note}`);
  return `${lines.join('\n')}\n`;
}

const VERDICTS: Record<StepResult['outcome'], string> = {
  'as written': 'OK: read back as written',
  differs: 'DIFFERS: the read back is not what was written',
  failed: 'FAILED',
  skipped: 'skipped',
};

function formatExchange(exchange: ScimExchange, basePath: string): string[] {
  const label = exchange.role === 'request' ? '' : ` (${exchange.role})`;
  const lines = [`   SCIM ${exchange.method} ${basePath}${exchange.path}${label}`];
  if (exchange.body !== undefined) lines.push(indent(json(exchange.body)));
  if (exchange.calls.length === 0) lines.push(`${INDENT}(no call to the app)`);
  for (const call of exchange.calls) lines.push(...formatCall(call));
  lines.push(`   SCIM answer ${exchange.status}`);
  if (exchange.answer !== undefined && exchange.answer !== '')
    lines.push(indent(json(scimView(exchange.answer))));
  return lines;
}

function formatCall(call: AppExchange): string[] {
  const { request, response } = call;
  const lines = [
    `   app  ${request.method} ${request.origin}${readable(request.path)}  (${call.durationMs} ms)`,
  ];
  if (request.body !== undefined) lines.push(`${INDENT}${cut(JSON.stringify(request.body))}`);
  if (call.error !== undefined) {
    lines.push(`${INDENT}→ no answer: ${call.error}`);
    return lines;
  }
  if (!response) {
    lines.push(`${INDENT}→ no answer`);
    return lines;
  }
  const headers = Object.entries(response.headers)
    .filter(
      ([name, value]) => SHOWN_HEADERS.test(name) && (name !== 'link' || /rel="?(next|prev)/.test(value)),
    )
    .map(([name, value]) => `  ${name}: ${value}`)
    .join('');
  lines.push(`${INDENT}→ ${response.status}${headers}`);
  if (response.json !== undefined) lines.push(`${INDENT}${cut(JSON.stringify(response.json))}`);
  else if (response.text !== undefined) lines.push(`${INDENT}${cut(response.text.replace(/\s+/g, ' '))}`);
  return lines;
}

/** The last lines: one per step that did not read back as written, and the verdict. */
export function formatSummary(steps: StepResult[], divergences: string[]): string {
  const ran = steps.filter((s) => s.outcome !== 'skipped');
  const bad = steps.filter((s) => s.outcome === 'differs' || s.outcome === 'failed');
  const lines: string[] = [];
  if (divergences.length > 0) {
    lines.push('The replay does not match the recording:');
    // A call the recording lacks is answered 500, which the adapter may retry: said once.
    const counted = new Map<string, number>();
    for (const divergence of divergences) counted.set(divergence, (counted.get(divergence) ?? 0) + 1);
    for (const [divergence, times] of counted)
      lines.push(`  - ${divergence}${times > 1 ? ` (${times} times)` : ''}`);
  }
  for (const step of bad) lines.push(`${step.outcome.toUpperCase()}: ${step.number}. ${step.title}`);
  const skipped = steps.length - ran.length;
  const counts = `${plural(ran.length, 'step')} run${skipped > 0 ? `, ${skipped} skipped` : ''}`;
  if (bad.length === 0 && divergences.length === 0)
    lines.push(`OK: ${counts}, every write read back as written`);
  else {
    const what =
      bad.length > 0 ? `${bad.length} of ${plural(ran.length, 'step')} did not read back as written` : '';
    const diverged = divergences.length > 0 ? 'the replay diverged from the recording' : '';
    lines.push(`NOT OK: ${[what, diverged].filter(Boolean).join('; ')} (${counts})`);
  }
  return `${lines.join('\n')}\n`;
}

/** A SCIM answer without what every answer has (`schemas`, `meta`): what the mapping decides. */
function scimView(answer: unknown): unknown {
  if (!isObject(answer)) return answer;
  const { schemas: _schemas, meta: _meta, ...rest } = answer;
  if (Array.isArray(rest.Resources)) return { ...rest, Resources: rest.Resources.map(scimView) };
  return 'status' in rest ? answer : rest;
}

/** JSON with two-space indentation, each object or array that fits on one line kept on one. */
export function json(value: unknown, depth = 0): string {
  const flat = JSON.stringify(value);
  if (flat === undefined) return 'undefined';
  if (flat.length + depth * 2 <= LINE_WIDTH || (!Array.isArray(value) && !isObject(value))) return flat;
  const pad = '  '.repeat(depth + 1);
  const entries = Array.isArray(value)
    ? value.map((item) => json(item, depth + 1))
    : Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}: ${json(item, depth + 1)}`);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  return `${open}\n${entries.map((e) => `${pad}${e}`).join(',\n')}\n${'  '.repeat(depth)}${close}`;
}

const LINE_WIDTH = 100;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The path with its query decoded (`_fields=id,roles`), for reading; recordings keep it as sent. */
function readable(path: string): string {
  const q = path.indexOf('?');
  if (q === -1) return path;
  try {
    return `${path.slice(0, q)}?${decodeURIComponent(path.slice(q + 1).replace(/\+/g, ' '))}`;
  } catch {
    return path;
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `${INDENT}${line}`)
    .join('\n');
}

function cut(text: string): string {
  return text.length > MAX_APP_BODY
    ? `${text.slice(0, MAX_APP_BODY)}… (${text.length - MAX_APP_BODY} characters more; --record keeps them)`
    : text;
}
