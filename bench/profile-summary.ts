/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --profile`): where the sidecar's CPU goes,
 * by area of the hot path (JSONata, filter parsing, schema validation, logging, id map, ...) and
 * by function, both self time and inclusive time (a sample counts once per area on its stack).
 *
 *   node bench/dist/bench/profile-summary.js bench/dist/profiles/<file>.cpuprofile [--top 30]
 *     [--skip S]          leave out the first S seconds (start-up, replaying the id map log)
 *     [--until S]         leave out what follows second S
 *     [--timeline]        also: busy time per second, to find the seconds a phase ran in
 *     [--callers NAME]    also: the call chains (innermost first) that lead to function NAME
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** First match wins: more specific areas first. */
const AREAS: Array<[string, RegExp]> = [
  ['JSONata evaluation', /node_modules\/jsonata\//],
  ['mapping expressions (JSONata subset, wrapper)', /src\/mapping\//],
  ['filter parsing/evaluation', /src\/scim\/filter\//],
  ['PATCH parsing/apply', /src\/scim\/patch\//],
  ['schema validation', /src\/scim\/(validate-resource|coerce|attributes)\.js/],
  ['projection/response', /src\/scim\/projection\.js|src\/service\/response\.js/],
  ['id map', /src\/idmap\//],
  ['service', /src\/service\//],
  ['gateway, connector (plan, render, call)', /src\/connector\//],
  ['locks', /src\/locks\//],
  ['audit trail, metrics (src/ops)', /src\/ops\//],
  ['http layer (auth, routes)', /src\/http\//],
  ['logging (pino)', /node_modules\/(pino|sonic-boom|fast-redact|@pinojs)/],
  [
    'fastify',
    /node_modules\/(fastify|find-my-way|@fastify|avvio|light-my-request|fast-json-stringify|secure-json-parse|fast-querystring)/,
  ],
  ['undici (upstream client)', /node_modules\/undici\//],
  ['node core', /^node:/],
];

function areaOf(frame: CallFrame): string {
  if (!frame.url) {
    if (frame.functionName === '(garbage collector)') return 'GC';
    if (frame.functionName === '(idle)') return 'idle';
    if (frame.functionName === '(program)') return 'program (native, unattributed)';
    return 'native';
  }
  for (const [name, pattern] of AREAS) if (pattern.test(frame.url)) return name;
  return 'other';
}

function keyOf(frame: CallFrame): string {
  const file = frame.url.replace(/^.*\/(node_modules\/|bench\/dist\/)/, '');
  return `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
}

function main(): void {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--'));
  if (!file)
    throw new Error('usage: profile-summary.js <file.cpuprofile> [--top N] [--skip S] [--callers NAME]');
  const optionValue = (name: string) => {
    const index = args.indexOf(name);
    return index === -1 ? undefined : args[index + 1];
  };
  const top = Number(optionValue('--top') ?? 25);
  const skipMicros = Number(optionValue('--skip') ?? 0) * 1e6;
  const untilMicros = Number(optionValue('--until') ?? Number.POSITIVE_INFINITY) * 1e6;
  const timeline: number[] = [];
  const callersOf = optionValue('--callers');
  const chains = new Map<string, number>();
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const selfArea = new Map<string, number>();
  const inclusiveArea = new Map<string, number>();
  const selfFn = new Map<string, number>();
  const inclusiveFn = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let elapsed = 0;
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  profile.samples.forEach((sample, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    elapsed += us;
    if (elapsed < skipMicros || elapsed > untilMicros) return;
    const leaf = byId.get(sample);
    if (!leaf) return;
    const second = Math.floor(elapsed / 1e6);
    if (leaf.callFrame.functionName !== '(idle)') timeline[second] = (timeline[second] ?? 0) + us;
    if (callersOf !== undefined && leaf.callFrame.functionName === callersOf) {
      const chain: string[] = [];
      for (let id = parent.get(sample); id !== undefined && chain.length < 8; id = parent.get(id)) {
        const node = byId.get(id);
        if (node && node.callFrame.functionName !== '(root)') chain.push(keyOf(node.callFrame));
      }
      add(chains, chain.join('\n      < '), us);
    }
    if (leaf.callFrame.functionName === '(idle)') {
      idle += us;
      return;
    }
    total += us;
    add(selfArea, areaOf(leaf.callFrame), us);
    add(selfFn, keyOf(leaf.callFrame), us);
    const areas = new Set<string>();
    const fns = new Set<string>();
    for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
      const node = byId.get(id);
      if (!node || node.callFrame.functionName === '(root)') continue;
      areas.add(areaOf(node.callFrame));
      fns.add(keyOf(node.callFrame));
    }
    for (const area of areas) add(inclusiveArea, area, us);
    for (const fn of fns) add(inclusiveFn, fn, us);
  });
  const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(
    `${file}\nbusy ${(total / 1e6).toFixed(1)} s, idle ${(idle / 1e6).toFixed(1)} s (percentages are of busy time)\n`,
  );
  out('area                                   self  inclusive');
  for (const [area, us] of [...selfArea].sort((a, b) => b[1] - a[1])) {
    out(`${area.padEnd(36)} ${pct(us)}     ${pct(inclusiveArea.get(area) ?? 0)}`);
  }
  out(`\ntop ${top} functions by self time`);
  for (const [fn, us] of [...selfFn].sort((a, b) => b[1] - a[1]).slice(0, top)) out(`${pct(us)}  ${fn}`);
  out(`\ntop ${top} functions by inclusive time (project code only)`);
  const ours = [...inclusiveFn].filter(([fn]) => /\bsrc\//.test(fn));
  for (const [fn, us] of ours.sort((a, b) => b[1] - a[1]).slice(0, top)) out(`${pct(us)}  ${fn}`);
  if (args.includes('--timeline')) {
    out('\nbusy time per second since the profile started');
    for (let second = 0; second < timeline.length; second++)
      out(
        `${String(second).padStart(5)} s  ${(((timeline[second] ?? 0) / 1e6) * 100).toFixed(0).padStart(3)}%`,
      );
  }
  if (callersOf === undefined) return;
  out(`\ncallers of ${callersOf}, by time (innermost first)`);
  for (const [chain, us] of [...chains].sort((a, b) => b[1] - a[1]).slice(0, 12)) out(`${pct(us)}  ${chain}`);
}

main();
